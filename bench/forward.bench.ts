/**
 * forward — the real-time forwarding journey under open-loop load: form_submitted enters the
 * journey, whose one step sends to a webhook; the webhook is a real HTTP receiver on loopback in
 * a child process (bench/lib/receiver-process.ts), reached through the built-in `webhook` driver
 * (undici, keep-alive). Embedded mode, durable commits (`durability: 'committed'`). Events enter
 * through `engine.ingest` in this process — not the HTTP intake, which is a layer of its own.
 *
 * The journey is a variant of examples/form-forwarding.json (id `form-forwarding-bench`) whose
 * mapping also passes `sent_at` (the scheduled send time), `called_at` (when the generator called
 * ingest) and `run` (the step label) through, so the receiver can measure latency from the
 * scheduled time. Per offered rate: achieved rate, p50/p90/p99/max (HDR histogram), and whether
 * the engine kept up; the sustained throughput is the highest offered rate it kept up with.
 * Ceiling, same run: a bare HTTP POST loop to the same receiver.
 *
 * With --http, events are POSTed to /v1/track of a `journeys serve` child instead (Basic auth with
 * a write key; results in bench/results/forward-http.json): the intake layer included.
 *
 *   npm run bench -- forward [--quick] [--http] [--rates 2000,5000,…] [--seconds S]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { BUILT_IN_DRIVERS } from '../src/destinations/drivers.js';
import { createEngine } from '../src/runtime/engine.js';
import { httpPostCeiling, httpPostOpenLoop } from './lib/ceilings.js';
import { hr, sleep } from './lib/clock.js';
import { LatencyHistogram, type LatencySummary } from './lib/histogram.js';
import { openLoop } from './lib/load.js';
import { progress } from './lib/progress.js';
import { startReceiver } from './lib/receiver.js';
import { gc, report, type Metric } from './report.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, rates: { type: 'string' }, seconds: { type: 'string' }, http: { type: 'boolean' } } });
const quick = Boolean(values.quick);
/** --http: events go to POST /v1/track of a `journeys serve` child (Basic auth) instead of engine.ingest in this process. */
const viaHttp = Boolean(values.http);
const BENCH = viaHttp ? 'forward-http' : 'forward';
const INTAKE_CONNECTIONS = 64;
const rates = values.rates ? values.rates.split(',').map(Number) : quick ? [2_000, 5_000, 10_000, 20_000] : [2_000, 3_000, 4_000, 5_000, 7_500, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000];
const stepMs = values.seconds ? Number(values.seconds) * 1000 : quick ? 3_000 : 15_000;
const warmupMs = quick ? 1_000 : 3_000;
const ceilingMs = quick ? 3_000 : 10_000;
/** Rates up to here always run (the latency targets are at 10k/s); above, the ladder stops at the first rate not kept up with. */
const ALWAYS_RUN_UP_TO = 10_000;
/** "Kept up": at least this fraction of the offered rate received, nothing refused or lost, p99 within P99_BOUND_MS. */
const KEPT_UP_FRACTION = 0.95;
const P99_BOUND_MS = 200;
const CONNECTIONS = 32; // the webhook destination's default concurrency (payload.md), used by the bare loop too
const TARGET = { sustained: 20_000, at: 10_000, p50: 2, p99: 25 };

const startedAt = new Date();
process.stdout.write(`${BENCH}: ${quick ? 'quick' : 'full'} run, events ${viaHttp ? `POSTed to /v1/track of a journeys serve child (${INTAKE_CONNECTIONS} connections)` : 'through engine.ingest in this process'}; rates ${rates.join(', ')} events/s, ${stepMs / 1000} s each (above ${ALWAYS_RUN_UP_TO / 1000}k/s the ladder stops at the first rate not kept up with)\n`);
const receiver = await startReceiver();

async function measureWithBar<T>(label: string, measure: () => Promise<T>): Promise<T> {
  const bar = progress(label.padEnd(14), ceilingMs);
  const began = Date.now();
  const ticker = setInterval(() => bar.update(Date.now() - began), 100);
  try {
    return await measure();
  } finally {
    clearInterval(ticker);
    bar.finish();
  }
}

// Ceiling, same run, same receiver, before the engine exists: a bare keep-alive POST loop, then the
// same requests open-loop at the target rate (the latency floor of the HTTP hop on this machine).
// A short warm-up first (JIT, connections), discarded: a cold first second skews an open-loop run.
await httpPostOpenLoop(receiver.url, { connections: CONNECTIONS, rate: 5_000, count: 5_000, run: 'warmup-http' });
await receiver.forget('warmup-http');
const ceiling = await measureWithBar('http ceiling', () => httpPostCeiling(receiver.url, { connections: CONNECTIONS, durationMs: ceilingMs, run: 'ceiling' }));
await receiver.forget('ceiling');
const bare = await measureWithBar('http open-loop', () => httpPostOpenLoop(receiver.url, { connections: CONNECTIONS, rate: TARGET.at, count: Math.round((TARGET.at * ceilingMs) / 1000), run: 'bare-open-loop' }));
const bareStats = await receiver.waitFor('bare-open-loop', bare.sent - bare.errors, { stallMs: 5_000 });
await receiver.forget('bare-open-loop');
process.stdout.write(`  bare HTTP POST loop: ${Math.round(ceiling.perSecond)} requests/s (${CONNECTIONS} connections); open-loop at ${TARGET.at}/s: p50 ${bareStats.fromScheduled.p50.toFixed(2)} p99 ${bareStats.fromScheduled.p99.toFixed(2)} ms\n`);
// The bench's variant of the form-forwarding journey: the same entry and send, plus three mapped fields.
const example = JSON.parse(readFileSync(new URL('../examples/form-forwarding.json', import.meta.url), 'utf8')) as { id: string; name: string; steps: { mapping: Record<string, unknown> }[] };
const fromEntry = (name: string) => ({ '@path': `$.properties.journey_context.form_submitted.properties.${name}` });
const journey = {
  ...example,
  id: 'form-forwarding-bench',
  name: `${example.name} (bench variant: sent_at, called_at, run mapped through)`,
  steps: example.steps.map((step) => ({ ...step, mapping: { ...step.mapping, sent_at: fromEntry('sent_at'), called_at: fromEntry('called_at'), run: fromEntry('run') } })),
};
const dataDir = mkdtempSync(join(tmpdir(), 'journeys-bench-forward-'));
const destination = { id: 'crm-webhook', type: 'webhook', settings: { url: receiver.url } };

/** Where events go: `ingest` resolves once the event is committed (and rejects with a code when refused). */
interface Intake {
  ingest(event: object): Promise<void>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function embeddedIntake(): Promise<Intake> {
  const engine = await createEngine({ dataDir, durability: 'committed', destinations: [destination], drivers: BUILT_IN_DRIVERS });
  await engine.publish(journey);
  return { ingest: async (event) => void (await engine.ingest(event)), settle: () => engine.settle(), close: () => engine.close() };
}

/** A `journeys serve` child on the same data directory layout, fed over HTTP with the write key as the Basic user name. */
async function httpIntake(): Promise<Intake> {
  const journeyFile = join(dataDir, 'form-forwarding-bench.json');
  const configFile = join(dataDir, 'journeys.config.json');
  writeFileSync(journeyFile, JSON.stringify(journey));
  const writeKey = 'wk_bench';
  writeFileSync(configFile, JSON.stringify({
    dataDir: join(dataDir, 'data'), http: { host: '127.0.0.1', port: 0 }, auth: { writeKeys: [writeKey], adminToken: 'bench-admin-token' },
    destinations: [destination], journeys: [journeyFile], durability: 'committed', log: { level: 'warn' },
  }));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/serve-child.ts', import.meta.url)), 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /serving on (http:\/\/[^\s]+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`journeys serve exited with ${code} before serving:\n${seen}`)));
  });
  child.stdout.resume();
  const pool = new Pool(base, { connections: INTAKE_CONNECTIONS });
  const headers = { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` };
  return {
    async ingest(event) {
      const response = await pool.request({ path: '/v1/track', method: 'POST', headers, body: JSON.stringify(event) });
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        let code = `HTTP ${response.statusCode}`;
        try {
          code = (JSON.parse(text) as { code?: string }).code ?? code;
        } catch {
          // not JSON: keep the status
        }
        throw Object.assign(new Error(code), { code });
      }
    },
    settle: async () => {},
    async close() {
      await pool.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

const intake = viaHttp ? await httpIntake() : await embeddedIntake();

interface StepResult {
  run: string;
  offered: number;
  events: number;
  accepted: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  received: number;
  lost: number;
  duplicates: number;
  achieved: number;
  latency: LatencySummary;
  fromCall: LatencySummary;
  acceptedLatency: LatencySummary;
  generatorMaxLagMs: number;
  keptUp: boolean;
}

async function step(run: string, rate: number, durationMs: number): Promise<StepResult> {
  const count = Math.round((rate * durationMs) / 1000);
  const accepted = new LatencyHistogram();
  const rejectedBy: Record<string, number> = {};
  let settled = 0;
  let rejected = 0;
  const bar = progress(`${run.padEnd(14)}`, count);
  const startAt = hr() + 5;
  const generated = await openLoop({
    rate,
    count,
    startAt,
    send: (i, scheduledAt) => {
      const calledAt = hr();
      intake
        .ingest({ type: 'track', userId: `u-${run}-${i}`, event: 'form_submitted', messageId: `${run}-${i}`, properties: { submission_id: `${run}-${i}`, form_id: 'contact', email: `u${i}@example.com`, sent_at: scheduledAt, called_at: calledAt, run } })
        .then(
          () => accepted.recordMs(hr() - scheduledAt),
          (error: { code?: string }) => {
            rejected++;
            const code = error?.code ?? 'error';
            rejectedBy[code] = (rejectedBy[code] ?? 0) + 1;
          },
        )
        .finally(() => settled++);
    },
    onProgress: (sent) => bar.update(sent, 'sending'),
  });
  // Every ingest settles (committed or refused) before the deliveries are counted; a stuck engine ends the wait after 5 minutes.
  const waitUntil = Date.now() + 300_000;
  while (settled < count && Date.now() < waitUntil) {
    await sleep(20);
    bar.update(count, `${count - settled} waiting for their commit`);
  }
  await receiver.waitFor(run, accepted.count, { stallMs: 10_000, maxMs: 180_000, onProgress: (s) => bar.update(count, `${s.count} received`) });
  await intake.settle();
  bar.finish();
  const final = await receiver.stats(run);
  await receiver.forget(run);
  const seconds = final.lastAt > 0 ? (final.lastAt - startAt) / 1000 : durationMs / 1000;
  const achieved = final.count / seconds;
  const lost = Math.max(0, accepted.count - final.count) + (count - settled);
  const latency = final.fromScheduled;
  const keptUp = achieved >= KEPT_UP_FRACTION * rate && rejected === 0 && lost === 0 && latency.p99 <= P99_BOUND_MS;
  return {
    run, offered: rate, events: count, accepted: accepted.count, rejected, rejectedBy, received: final.count, lost, duplicates: final.duplicates,
    achieved, latency, fromCall: final.fromCalled, acceptedLatency: accepted.summary(), generatorMaxLagMs: generated.maxLagMs, keptUp,
  };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

await step('warmup', 2_000, warmupMs);
gc();

const steps: StepResult[] = [];
for (const rate of rates) {
  const result = await step(`rate-${rate}`, rate, stepMs);
  steps.push(result);
  const l = result.latency;
  process.stdout.write(
    `  ${String(rate).padStart(6)}/s offered → ${Math.round(result.achieved).toString().padStart(6)}/s received; p50 ${l.p50.toFixed(2)} p90 ${l.p90.toFixed(2)} p99 ${l.p99.toFixed(2)} max ${l.max.toFixed(1)} ms` +
      `${result.rejected ? `; ${result.rejected} refused (${Object.entries(result.rejectedBy).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}${result.lost ? `; ${result.lost} lost` : ''}${result.duplicates ? `; ${result.duplicates} delivered twice` : ''}; ${result.keptUp ? 'kept up' : 'did NOT keep up'}\n`,
  );
  gc();
  await sleep(300);
  if (!result.keptUp && rate >= ALWAYS_RUN_UP_TO) break;
}

// The same bare loop once more with the engine idle in this process after the run (a diagnostic:
// what the engine's leftover heap and background work cost the process).
gc();
const heapAfterRun = process.memoryUsage().heapUsed;
const after = await measureWithBar('http after run', () => httpPostCeiling(receiver.url, { connections: CONNECTIONS, durationMs: ceilingMs, run: 'ceiling-after' }));
await receiver.forget('ceiling-after');
process.stdout.write(`  bare HTTP POST loop after the run, the engine idle ${viaHttp ? 'in its child' : 'in this process'}: ${Math.round(after.perSecond)} requests/s; heap of this process ${Math.round(heapAfterRun / 2 ** 20)} MiB\n`);

await intake.close();
await receiver.close();
rmSync(dataDir, { recursive: true, force: true });

const sustained = Math.max(0, ...steps.filter((s) => s.keptUp).map((s) => s.offered));
const peak = Math.max(0, ...steps.map((s) => s.achieved));
const atTarget = steps.find((s) => s.offered === TARGET.at);
const results: Metric[] = [];
for (const s of steps) {
  const r = `${s.offered / 1000}k/s`;
  results.push(
    { metric: `${r} received`, value: Math.round(s.achieved), unit: 'events/s' },
    { metric: `${r} p50`, value: round(s.latency.p50), unit: 'ms' },
    { metric: `${r} p90`, value: round(s.latency.p90), unit: 'ms' },
    { metric: `${r} p99`, value: round(s.latency.p99), unit: 'ms' },
    { metric: `${r} max`, value: round(s.latency.max), unit: 'ms' },
    { metric: `${r} accepted (committed) p99`, value: round(s.acceptedLatency.p99), unit: 'ms' },
    { metric: `${r} refused or lost`, value: s.rejected + s.lost, unit: 'events' },
    { metric: `${r} kept up`, value: s.keptUp ? 1 : 0, unit: '1 = yes' },
  );
}
results.push(
  { metric: 'sustained throughput', value: sustained, unit: 'events/s' },
  { metric: 'peak received rate', value: Math.round(peak), unit: 'events/s' },
  { metric: 'ceiling: bare HTTP POST loop', value: Math.round(ceiling.perSecond), unit: 'requests/s' },
  { metric: 'sustained / ceiling', value: round(sustained / ceiling.perSecond, 3), unit: 'fraction' },
  { metric: 'peak / ceiling', value: round(peak / ceiling.perSecond, 3), unit: 'fraction' },
  { metric: `ceiling: bare open-loop ${TARGET.at / 1000}k/s p50`, value: round(bareStats.fromScheduled.p50), unit: 'ms' },
  { metric: `ceiling: bare open-loop ${TARGET.at / 1000}k/s p99`, value: round(bareStats.fromScheduled.p99), unit: 'ms' },
  { metric: `bare HTTP POST loop after the run (engine idle${viaHttp ? ', in its child' : ''})`, value: Math.round(after.perSecond), unit: 'requests/s' },
  { metric: 'heap of this process after the run (after GC)', value: Math.round(heapAfterRun / 2 ** 20), unit: 'MiB' },
);

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const targets = {
  sustained: { target: `≥ ${TARGET.sustained} events/s`, measured: sustained, met: sustained >= TARGET.sustained },
  p50: { target: `≤ ${TARGET.p50} ms at ${TARGET.at}/s`, measured: atTarget ? round(atTarget.latency.p50) : null, met: Boolean(atTarget && atTarget.latency.p50 <= TARGET.p50) },
  p99: { target: `≤ ${TARGET.p99} ms at ${TARGET.at}/s`, measured: atTarget ? round(atTarget.latency.p99) : null, met: Boolean(atTarget && atTarget.latency.p99 <= TARGET.p99) },
};
report(BENCH, startedAt, results, {
  note: `latency = scheduled send time → request received by the loopback receiver (open loop, HDR histogram); "kept up" = received ≥ ${KEPT_UP_FRACTION * 100} % of offered, nothing refused or lost, p99 ≤ ${P99_BOUND_MS} ms`,
  journey: 'form-forwarding-bench: examples/form-forwarding.json with sent_at, called_at and run mapped through',
  settings: { rates, stepSeconds: stepMs / 1000, connections: CONNECTIONS, durability: 'committed', intake: viaHttp ? `HTTP POST /v1/track to a journeys serve child, ${INTAKE_CONNECTIONS} connections` : 'engine.ingest (in process)' },
  targets,
  series: steps.map((s) => ({
    offered: s.offered, achieved: Math.round(s.achieved), events: s.events, accepted: s.accepted, received: s.received, rejected: s.rejected, rejectedBy: s.rejectedBy, lost: s.lost, duplicates: s.duplicates, keptUp: s.keptUp,
    latencyMs: s.latency, fromCallMs: s.fromCall, acceptedMs: s.acceptedLatency, generatorMaxLagMs: round(s.generatorMaxLagMs),
  })),
  ceiling: { httpPostLoop: { ...ceiling, perSecond: Math.round(ceiling.perSecond) }, bareOpenLoop: { rate: TARGET.at, latencyMs: bareStats.fromScheduled, errors: bare.errors }, httpPostLoopAfterRun: { ...after, perSecond: Math.round(after.perSecond) } },
});
process.stdout.write(`  targets: sustained ${targets.sustained.target}: ${verdict(targets.sustained.met)} (${sustained}); p50 ${targets.p50.target}: ${verdict(targets.p50.met)} (${targets.p50.measured}); p99 ${targets.p99.target}: ${verdict(targets.p99.met)} (${targets.p99.measured})\n`);
