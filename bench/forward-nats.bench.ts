/**
 * forward-nats — the forward workload through `journeys.ingest` on JetStream with 2 worker
 * processes (bench.md: ≥ 10k events/s; p99 ≤ 50 ms at 5k/s). Two `journeys serve --nats`
 * children (their own data directories, 64 shards shared by lease) run the forwarding journey;
 * a plain NATS client publishes Segment-shaped events to `journeys.ingest` open-loop at fixed
 * rates; the router (one of the workers) moves them onto the shard subjects; the worker holding
 * the shard applies them and sends to the loopback webhook receiver (a child process). Latency is
 * from the scheduled publish time to receipt (HDR histogram).
 *
 * Ceiling, same run: raw JetStream publish → consume on this server (a bench stream, pipelined
 * publishes, an ordered consumer): the fastest a message can enter a stream and come out.
 *
 * With --direct, the generator publishes with `JourneysClient` straight onto the shard subjects
 * (no router): what high-volume producers should do (results in bench/results/forward-nats-direct.json).
 *
 *   npm run bench -- forward-nats [--quick] [--direct] [--rates 2000,5000,…] [--seconds S] [--nats URL]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { clusterNames } from '../src/cluster/names.js';
import { destroyResources } from '../src/cluster/resources.js';
import { hr, sleep } from './lib/clock.js';
import type { LatencySummary } from './lib/histogram.js';
import { openLoop } from './lib/load.js';
import { progress } from './lib/progress.js';
import { startReceiver } from './lib/receiver.js';
import { report, type Metric } from './report.js';
import { JourneysClient } from '../src/transport/client.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, direct: { type: 'boolean' }, rates: { type: 'string' }, seconds: { type: 'string' }, nats: { type: 'string' } } });
const direct = Boolean(values.direct);
const BENCH = direct ? 'forward-nats-direct' : 'forward-nats';
const quick = Boolean(values.quick);
const NATS = values.nats ?? 'nats://127.0.0.1:4222';
const rates = values.rates ? values.rates.split(',').map(Number) : quick ? [1_000, 2_500, 5_000] : [1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 12_500, 15_000, 20_000];
const stepMs = values.seconds ? Number(values.seconds) * 1000 : quick ? 4_000 : 15_000;
/** Rates up to the latency target's always run; above, the ladder stops at the first rate not kept up with. */
const ALWAYS_RUN_UP_TO = 5_000;
const KEPT_UP_FRACTION = 0.95;
const P99_BOUND_MS = 500;
const TARGET = { sustained: 10_000, at: 5_000, p99: 50 };
const WORKERS = 2;
const startedAt = new Date();
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

let nc: NatsConnection;
try {
  nc = await connect({ servers: NATS, timeout: 3_000 });
} catch (error) {
  process.stdout.write(`forward-nats: no NATS server at ${NATS} (${(error as Error).message}); start one (nats-server -js) and run again\n`);
  report(BENCH, startedAt, [], { note: `skipped: no NATS server at ${NATS}` });
  process.exit(0);
}
const prefix = `bench${Date.now().toString(36)}`;
const names = clusterNames(prefix);
process.stdout.write(`${BENCH}: ${quick ? 'quick' : 'full'} run; ${direct ? 'JourneysClient onto the shard subjects' : 'plain NATS publishes to journeys.ingest'}; ${WORKERS} workers, 64 shards, prefix ${prefix}, NATS ${NATS}; rates ${rates.join(', ')} events/s, ${stepMs / 1000} s each\n`);

// ---- Ceiling: raw JetStream publish → consume ----------------------------------------------
async function jetstreamCeiling(count: number): Promise<{ perSecond: number; seconds: number }> {
  const jsm = await jetstreamManager(nc);
  const stream = `${prefix.toUpperCase()}_CEILING`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.ceiling`], max_age: 3_600 * 1e9 });
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, { filter_subjects: `${prefix}.ceiling` });
  const messages = await consumer.consume({ max_messages: 1_000 });
  const body = new TextEncoder().encode(JSON.stringify({ v: 1, event: { type: 'track', name: 'form_submitted', userId: 'u-1', properties: { submission_id: 's', form_id: 'contact', email: 'u@example.com' }, timestamp: new Date().toISOString(), messageId: 'm' }, profileKey: 'u-1', arrival: Date.now() }));
  const began = hr();
  const consumed = (async () => {
    let seen = 0;
    for await (const _ of messages) if (++seen >= count) break;
  })();
  let inflight: Promise<PubAck>[] = [];
  for (let i = 0; i < count; i++) {
    inflight.push(js.publish(`${prefix}.ceiling`, body, { msgID: `c-${i}` }));
    if (inflight.length >= 1_000) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
  await consumed;
  const seconds = (hr() - began) / 1000;
  messages.stop();
  await jsm.streams.delete(stream);
  return { perSecond: count / seconds, seconds };
}
const ceiling = await jetstreamCeiling(quick ? 50_000 : 200_000);
process.stdout.write(`  ceiling: raw JetStream publish → consume: ${Math.round(ceiling.perSecond)} messages/s\n`);

// ---- The cluster ----------------------------------------------------------------------------
const receiver = await startReceiver();
const dir = mkdtempSync(join(tmpdir(), 'journeys-bench-forward-nats-'));
const example = JSON.parse(readFileSync(new URL('../examples/form-forwarding.json', import.meta.url), 'utf8')) as { id: string; name: string; steps: { mapping: Record<string, unknown> }[] };
const fromEntry = (name: string) => ({ '@path': `$.properties.journey_context.form_submitted.properties.${name}` });
const journey = { ...example, id: 'form-forwarding-bench', steps: example.steps.map((step) => ({ ...step, mapping: { ...step.mapping, sent_at: fromEntry('sent_at'), run: fromEntry('run') } })) };
const journeyFile = join(dir, 'form-forwarding-bench.json');
writeFileSync(journeyFile, JSON.stringify(journey));

function startWorker(index: number): Promise<ChildProcess> {
  const configFile = join(dir, `worker-${index}.json`);
  writeFileSync(configFile, JSON.stringify({
    dataDir: join(dir, `data-${index}`), http: { host: '127.0.0.1', port: 0 }, shards: 64,
    nats: { url: NATS, prefix, workerId: `bench-${index}` },
    auth: { writeKeys: ['wk_bench'], adminToken: 'bench-admin-token' },
    destinations: [{ id: 'crm-webhook', type: 'webhook', settings: { url: receiver.url } }],
    journeys: [journeyFile], durability: 'committed', log: { level: 'warn' },
  }));
  // JOURNEYS_BENCH_CPU_PROF=DIR: each worker writes a V8 CPU profile there when it stops.
  const profile = process.env.JOURNEYS_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.JOURNEYS_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(new URL('./lib/serve-child.ts', import.meta.url)), 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (/serving on http/.test(seen)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${index} exited with ${code} before serving:\n${seen}`)));
  });
}
const workers: ChildProcess[] = [];
for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(i));
await sleep(3_000); // the second worker takes its share of the shards
const client = direct ? await JourneysClient.connect({ connection: nc, prefix }) : undefined;

interface StepResult {
  run: string;
  offered: number;
  events: number;
  received: number;
  lost: number;
  duplicates: number;
  achieved: number;
  latency: LatencySummary;
  keptUp: boolean;
}

async function step(run: string, rate: number, durationMs: number): Promise<StepResult> {
  const count = Math.round((rate * durationMs) / 1000);
  const bar = progress(run.padEnd(14), count);
  const startAt = hr() + 5;
  let flushed = 0;
  await openLoop({
    rate,
    count,
    startAt,
    send: (i, scheduledAt) => {
      const event = { type: 'track', userId: `u-${run}-${i}`, event: 'form_submitted', messageId: `${run}-${i}`, properties: { submission_id: `${run}-${i}`, form_id: 'contact', email: `u${i}@example.com`, sent_at: scheduledAt, run } };
      if (client) {
        client.send(event).catch(() => undefined); // counted as not received if JetStream refused it
        return;
      }
      nc.publish(names.ingestSubject, JSON.stringify(event));
      if (i - flushed >= 500) {
        flushed = i;
        void nc.flush();
      }
    },
    onProgress: (sent) => bar.update(sent, 'publishing'),
    pollMs: 1, // alone in this process: no spinning (the workers need the cores)
  });
  await nc.flush();
  const final = await receiver.waitFor(run, count, { stallMs: 15_000, maxMs: 300_000, onProgress: (s) => bar.update(count, `${s.count} received`) });
  bar.finish();
  await receiver.forget(run);
  const seconds = final.lastAt > 0 ? (final.lastAt - startAt) / 1000 : durationMs / 1000;
  const achieved = final.count / seconds;
  const lost = Math.max(0, count - final.count);
  const latency = final.fromScheduled;
  const keptUp = achieved >= KEPT_UP_FRACTION * rate && lost === 0 && latency.p99 <= P99_BOUND_MS;
  return { run, offered: rate, events: count, received: final.count, lost, duplicates: final.duplicates, achieved, latency, keptUp };
}

await step('warmup', 1_000, quick ? 1_000 : 3_000);
const steps: StepResult[] = [];
for (const rate of rates) {
  const result = await step(`rate-${rate}`, rate, stepMs);
  steps.push(result);
  const l = result.latency;
  process.stdout.write(
    `  ${String(rate).padStart(6)}/s offered → ${Math.round(result.achieved).toString().padStart(6)}/s received; p50 ${l.p50.toFixed(2)} p90 ${l.p90.toFixed(2)} p99 ${l.p99.toFixed(2)} max ${l.max.toFixed(1)} ms` +
      `${result.lost ? `; ${result.lost} not received` : ''}${result.duplicates ? `; ${result.duplicates} delivered twice` : ''}; ${result.keptUp ? 'kept up' : 'did NOT keep up'}\n`,
  );
  await sleep(500);
  if (!result.keptUp && rate >= ALWAYS_RUN_UP_TO) break;
}

for (const worker of workers) {
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  worker.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (worker.exitCode === null) worker.kill('SIGKILL');
}
await client?.close();
await receiver.close();
await destroyResources(nc, names);
await nc.close();
rmSync(dir, { recursive: true, force: true });

const sustained = Math.max(0, ...steps.filter((s) => s.keptUp).map((s) => s.offered));
const atTarget = steps.find((s) => s.offered === TARGET.at);
const results: Metric[] = [];
for (const s of steps) {
  const r = `${s.offered / 1000}k/s`;
  results.push(
    { metric: `${r} received`, value: Math.round(s.achieved), unit: 'events/s' },
    { metric: `${r} p50`, value: round(s.latency.p50), unit: 'ms' },
    { metric: `${r} p99`, value: round(s.latency.p99), unit: 'ms' },
    { metric: `${r} max`, value: round(s.latency.max), unit: 'ms' },
    { metric: `${r} not received`, value: s.lost, unit: 'events' },
    { metric: `${r} kept up`, value: s.keptUp ? 1 : 0, unit: '1 = yes' },
  );
}
results.push(
  { metric: 'sustained throughput', value: sustained, unit: 'events/s' },
  { metric: 'ceiling: raw JetStream publish → consume', value: Math.round(ceiling.perSecond), unit: 'messages/s' },
  { metric: 'sustained / ceiling', value: round(sustained / ceiling.perSecond, 3), unit: 'fraction' },
);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const targets = {
  sustained: { target: `≥ ${TARGET.sustained} events/s`, measured: sustained, met: sustained >= TARGET.sustained },
  p99: { target: `≤ ${TARGET.p99} ms at ${TARGET.at}/s`, measured: atTarget ? round(atTarget.latency.p99) : null, met: Boolean(atTarget && atTarget.latency.p99 <= TARGET.p99) },
};
report(BENCH, startedAt, results, {
  note: `latency = scheduled publish to journeys.ingest → request received by the loopback receiver; "kept up" = received ≥ ${KEPT_UP_FRACTION * 100} % of offered, none missing, p99 ≤ ${P99_BOUND_MS} ms`,
  settings: { rates, stepSeconds: stepMs / 1000, workers: WORKERS, shards: 64, durability: 'committed', intake: direct ? 'JourneysClient publishing onto the shard subjects (no router)' : 'plain NATS publish to journeys.ingest (router → shard subjects)' },
  targets,
  series: steps.map((s) => ({ offered: s.offered, achieved: Math.round(s.achieved), events: s.events, received: s.received, lost: s.lost, duplicates: s.duplicates, keptUp: s.keptUp, latencyMs: s.latency })),
  ceiling: { jetstreamPublishConsume: { perSecond: Math.round(ceiling.perSecond), seconds: round(ceiling.seconds) } },
});
process.stdout.write(`  targets: sustained ${targets.sustained.target}: ${verdict(targets.sustained.met)} (${sustained}); p99 ${targets.p99.target}: ${verdict(targets.p99.met)} (${targets.p99.measured})\n`);
