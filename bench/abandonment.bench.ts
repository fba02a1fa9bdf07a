/**
 * abandonment — cart abandonment (examples/cart-abandonment.json) with N checkout sessions, half
 * of them completed by a purchase:
 *
 * (a) simulated clock (a ManualClock engine): N checkouts arrive over 10 simulated minutes
 *     (entries/s measured in wall time), then the purchases of the even sessions; the clock is
 *     then advanced past the 1 h hold in 1-minute steps, each followed by `engine.tick()` and
 *     `engine.settle()`. A recording destination driver (in process: this measures the engine,
 *     not HTTP) checks that every unpurchased session was nudged exactly once and no purchased
 *     one was nudged.
 * (b) real clock: the same journey with a hold of 10 s (`--quick`: 2 s); checkouts arrive
 *     open-loop at a fixed rate, each even session's purchase half a hold later; timer lateness
 *     = delivery time − due time (HDR histogram), with the same once-and-only-once check.
 *
 * Ceiling, same run: raw LMDB batched puts of one ~1 KB msgpack record per session.
 *
 *   npm run bench -- abandonment [--quick] [--sessions N] [--real-sessions N] [--real-rate R]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DriverFactory, OutboxRecord } from '../src/destinations/types.js';
import { ManualClock } from '../src/runtime/clock.js';
import { createEngine, type Engine } from '../src/runtime/engine.js';
import { lmdbPutCeiling } from './lib/ceilings.js';
import { hr, sleep } from './lib/clock.js';
import { LatencyHistogram } from './lib/histogram.js';
import { openLoop } from './lib/load.js';
import { progress } from './lib/progress.js';
import { gc, report, type Metric } from './report.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, sessions: { type: 'string' }, 'real-sessions': { type: 'string' }, 'real-rate': { type: 'string' }, concurrency: { type: 'string' } } });
const quick = Boolean(values.quick);
const sessions = Number(values.sessions ?? (quick ? 20_000 : 1_000_000));
const realSessions = Number(values['real-sessions'] ?? (quick ? 4_000 : 50_000));
const realRate = Number(values['real-rate'] ?? (quick ? 1_000 : 2_500));
const realHoldS = quick ? 2 : 10;
/** Ingests in flight at once in part (a) (a sliding window, as in the quick bench). */
const concurrency = Number(values.concurrency ?? 2_000);
const TARGET = { entriesPerSecond: 20_000, latenessP99Ms: 100 };
const HOLD_MS = 3_600_000;
const ARRIVAL_SPREAD_MS = 600_000; // checkouts arrive over 10 simulated minutes
const STEP_MS = 60_000;

const startedAt = new Date();
const published = JSON.parse(readFileSync(new URL('../examples/cart-abandonment.json', import.meta.url), 'utf8')) as { steps: { id: string; maxDuration?: string; mapping?: Record<string, unknown> }[] };
/**
 * The example, with the coupon step's mapping also passing the entry event's properties through
 * as `entry`: the recorder tells sessions apart (and, on the real clock, times them) by the entry
 * event, which the `nudge` step sends whole (it has no mapping) and the coupon step's mapping
 * would otherwise leave out.
 */
const example = { ...published, steps: published.steps.map((step) => (step.mapping ? { ...step, mapping: { ...step.mapping, entry: { '@path': '$.properties.journey_context.checkout_started.properties' } } } : step)) };
type EntryProperties = { session_id?: string; entered_at?: number };
/** The entry event's properties in the body a destination receives. */
function entryOf(record: OutboxRecord): EntryProperties | undefined {
  const body = record.body as { entry?: EntryProperties; properties?: { journey_context?: { checkout_started?: { properties?: EntryProperties } } } };
  return body.entry ?? body.properties?.journey_context?.checkout_started?.properties;
}
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Counts nudges per session (by the session_id of the entry event in the body the destination receives), and messageIds seen twice. */
class Recorder {
  readonly nudges: Uint8Array;
  readonly messageIds = new Set<string>();
  duplicateMessageIds = 0;
  delivered = 0;
  unknown = 0;
  constructor(size: number, private readonly onDelivery?: (record: OutboxRecord, session: number) => void) {
    this.nudges = new Uint8Array(size);
  }
  readonly factory: DriverFactory = () => ({
    deliver: async (record) => {
      this.delivered++;
      if (this.messageIds.has(record.messageId)) this.duplicateMessageIds++;
      else this.messageIds.add(record.messageId);
      const session = Number(entryOf(record)?.session_id?.slice(2) ?? Number.NaN);
      if (!Number.isInteger(session) || session < 0 || session >= this.nudges.length) this.unknown++;
      else {
        if (this.nudges[session]! < 255) this.nudges[session]!++;
        this.onDelivery?.(record, session);
      }
      return { ok: true };
    },
  });
  /** Unpurchased (odd) sessions must have exactly one nudge, purchased (even) ones none. */
  check(count: number) {
    let once = 0;
    let missing = 0;
    let repeated = 0;
    let purchasedNudged = 0;
    for (let j = 0; j < count; j++) {
      const n = this.nudges[j]!;
      if (j % 2 === 0) {
        if (n > 0) purchasedNudged++;
      } else if (n === 1) once++;
      else if (n === 0) missing++;
      else repeated++;
    }
    const expected = Math.floor(count / 2);
    return { expected, once, missing, repeated, purchasedNudged, duplicateMessageIds: this.duplicateMessageIds, unknown: this.unknown, correct: once === expected && missing === 0 && repeated === 0 && purchasedNudged === 0 && this.duplicateMessageIds === 0 && this.unknown === 0 };
  }
}

const checkout = (j: number, extra: Record<string, unknown> = {}) => ({
  type: 'track', userId: `user-${j}`, event: 'checkout_started', messageId: `c-${j}`,
  properties: { session_id: `s-${j}`, total: j % 200, cart_id: `cart-${j}`, email: `user-${j}@example.com`, ...extra },
});
const purchase = (j: number) => ({ type: 'track', userId: `user-${j}`, event: 'purchase_completed', messageId: `p-${j}`, properties: { session_id: `s-${j}` } });

/** Ingests `count` events with `concurrency` in flight; returns the wall-clock seconds. */
async function ingestAll(engine: Engine, label: string, count: number, make: (i: number) => unknown, before?: (i: number) => void): Promise<{ seconds: number; failed: number }> {
  const bar = progress(label, count);
  let next = 0;
  let done = 0;
  let failed = 0;
  const began = performance.now();
  const lane = async () => {
    while (next < count) {
      const i = next++;
      before?.(i);
      try {
        await engine.ingest(make(i));
      } catch {
        failed++;
      }
      done++;
      bar.update(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - began) / 1000;
  bar.finish();
  return { seconds, failed };
}

// ---- (a) simulated clock -------------------------------------------------------------------
process.stdout.write(`abandonment: ${quick ? 'quick' : 'full'} run; (a) ${sessions} sessions on a simulated clock, (b) ${realSessions} sessions at ${realRate}/s with ${realHoldS} s holds on the real clock\n`);
const t0 = Date.UTC(2026, 10, 29, 10, 0, 0);
const clock = new ManualClock(t0);
const simRecorder = new Recorder(sessions);
const simDir = mkdtempSync(join(tmpdir(), 'journeys-bench-abandonment-'));
const sim = await createEngine({
  dataDir: simDir,
  durability: 'committed',
  clock,
  destinations: [{ id: 'crm-webhook', type: 'recorder', settings: {} }],
  drivers: { recorder: simRecorder.factory },
  maxPendingEvents: concurrency * 2,
});
await sim.publish(example);

const entries = await ingestAll(sim, '(a) checkouts ', sessions, (j) => checkout(j), (j) => clock.set(Math.max(clock.now(), t0 + Math.floor((j * ARRIVAL_SPREAD_MS) / sessions))));
await sim.settle();
const entriesPerSecond = sessions / entries.seconds;
process.stdout.write(`  (a) ${sessions} checkouts in ${entries.seconds.toFixed(1)} s: ${Math.round(entriesPerSecond)} entries/s${entries.failed ? `, ${entries.failed} refused` : ''}\n`);
const waitingTimers = sim.timersPending();

clock.set(t0 + ARRIVAL_SPREAD_MS);
const purchaseCount = Math.ceil(sessions / 2);
const purchases = await ingestAll(sim, '(a) purchases ', purchaseCount, (k) => purchase(2 * k));
await sim.settle();
const purchasesPerSecond = purchaseCount / purchases.seconds;
process.stdout.write(`  (a) ${purchaseCount} purchases in ${purchases.seconds.toFixed(1)} s: ${Math.round(purchasesPerSecond)} events/s${purchases.failed ? `, ${purchases.failed} refused` : ''}\n`);

// Past the hold in 1-minute steps: tick, then settle (every send delivered and committed).
const end = t0 + ARRIVAL_SPREAD_MS + HOLD_MS + 5 * STEP_MS;
let firingSeconds = 0;
const advanceBar = progress('(a) timeouts  ', end - clock.now());
const advanceFrom = clock.now();
while (clock.now() < end) {
  clock.advance(STEP_MS);
  const before = simRecorder.delivered;
  const began = performance.now();
  sim.tick();
  await sim.settle();
  const elapsed = (performance.now() - began) / 1000;
  if (simRecorder.delivered > before) firingSeconds += elapsed;
  advanceBar.update(clock.now() - advanceFrom, `${simRecorder.delivered} nudges`);
}
advanceBar.finish();
const simCheck = simRecorder.check(sessions);
const timeoutsPerSecond = firingSeconds > 0 ? simRecorder.delivered / firingSeconds : 0;
process.stdout.write(`  (a) ${simRecorder.delivered} nudges delivered in ${firingSeconds.toFixed(1)} s of firing: ${Math.round(timeoutsPerSecond)} timeouts/s; ${simCheck.correct ? 'every unpurchased session nudged once, no purchased one' : `WRONG: ${JSON.stringify(simCheck)}`}\n`);
const leftTimers = sim.timersPending();
await sim.close();
rmSync(simDir, { recursive: true, force: true });
gc();

// ---- ceiling: raw LMDB batched puts, one record per session --------------------------
// At least 100k records, so that a --quick run measures a rate and not the start-up.
const ceilingRecords = Math.max(sessions, 100_000);
const ceilingBar = progress('LMDB ceiling  ', ceilingRecords);
const ceiling = await lmdbPutCeiling(ceilingRecords, { onProgress: (done) => ceilingBar.update(done) });
ceilingBar.finish();
process.stdout.write(`  LMDB ceiling: ${Math.round(ceiling.perSecond)} puts/s of ${ceiling.bytesPerRecord}-byte records, ${ceiling.records} in ${ceiling.seconds.toFixed(1)} s\n`);
gc();

// ---- (b) real clock ------------------------------------------------------------------------
const holdMs = realHoldS * 1000;
const lateness = new LatencyHistogram();
const realRecorder = new Recorder(realSessions, (record) => {
  const entered = entryOf(record)?.entered_at;
  if (typeof entered === 'number') lateness.recordMs(Date.now() - (entered + holdMs));
});
const realDir = mkdtempSync(join(tmpdir(), 'journeys-bench-abandonment-real-'));
const real = await createEngine({
  dataDir: realDir,
  durability: 'committed',
  destinations: [{ id: 'crm-webhook', type: 'recorder', settings: {} }],
  drivers: { recorder: realRecorder.factory },
});
await real.publish({ ...example, steps: example.steps.map((step) => (step.maxDuration ? { ...step, maxDuration: `${realHoldS}s` } : step)) });
let refused = 0;
const refuse = () => void refused++;
const realBar = progress('(b) real clock', realSessions);
const realStart = performance.now() + 5;
const loopStart = hr() + 5;
const [checkoutsRun, purchasesRun] = await Promise.all([
  openLoop({
    rate: realRate,
    count: realSessions,
    startAt: loopStart,
    // entered_at: the engine's clock (Date.now) when ingest is called; ingest takes the arrival time synchronously.
    send: (j) => void real.ingest(checkout(j, { entered_at: Date.now() })).catch(refuse),
    onProgress: (sent) => realBar.update(sent, `${realRecorder.delivered} nudges`),
  }),
  openLoop({
    rate: realRate / 2,
    count: Math.ceil(realSessions / 2),
    startAt: loopStart + holdMs / 2,
    send: (k) => void real.ingest(purchase(2 * k)).catch(refuse),
  }),
]);
const expectedNudges = Math.floor(realSessions / 2);
while (realRecorder.delivered < expectedNudges && performance.now() - realStart < (realSessions / realRate) * 1000 + holdMs + 30_000) {
  await sleep(50);
  realBar.update(realSessions, `${realRecorder.delivered} nudges`);
}
await sleep(Math.min(holdMs, 2_000)); // anything late or doubled would show up here
await real.settle();
realBar.finish();
const realCheck = realRecorder.check(realSessions);
const late = lateness.summary();
process.stdout.write(`  (b) ${realRecorder.delivered} nudges; lateness p50 ${late.p50.toFixed(1)} p99 ${late.p99.toFixed(1)} max ${late.max.toFixed(1)} ms; generator lag max ${Math.max(checkoutsRun.maxLagMs, purchasesRun.maxLagMs).toFixed(1)} ms; ${realCheck.correct ? 'every unpurchased session nudged once, no purchased one' : `WRONG: ${JSON.stringify(realCheck)}`}${refused ? `; ${refused} refused` : ''}\n`);
await real.close();
rmSync(realDir, { recursive: true, force: true });

// ---- report --------------------------------------------------------------------------------
const results: Metric[] = [
  { metric: '(a) sessions', value: sessions, unit: 'sessions' },
  { metric: '(a) entries per second', value: Math.round(entriesPerSecond), unit: 'entries/s' },
  { metric: '(a) purchases per second', value: Math.round(purchasesPerSecond), unit: 'events/s' },
  { metric: '(a) timers pending after the entries', value: waitingTimers, unit: 'timers' },
  { metric: '(a) timeouts fired and delivered per second', value: Math.round(timeoutsPerSecond), unit: 'timeouts/s' },
  { metric: '(a) unpurchased sessions nudged exactly once', value: simCheck.once, unit: `of ${simCheck.expected}` },
  { metric: '(a) unpurchased sessions not nudged', value: simCheck.missing, unit: 'sessions' },
  { metric: '(a) sessions nudged more than once', value: simCheck.repeated, unit: 'sessions' },
  { metric: '(a) purchased sessions nudged', value: simCheck.purchasedNudged, unit: 'sessions' },
  { metric: '(a) timers left after the run', value: leftTimers, unit: 'timers' },
  { metric: 'ceiling: LMDB batched puts', value: Math.round(ceiling.perSecond), unit: 'puts/s' },
  { metric: 'ceiling: record size', value: ceiling.bytesPerRecord, unit: 'B' },
  { metric: 'entries / LMDB ceiling', value: round(entriesPerSecond / ceiling.perSecond, 3), unit: 'fraction' },
  { metric: '(b) sessions', value: realSessions, unit: `at ${realRate}/s, hold ${realHoldS} s` },
  { metric: '(b) timer lateness p50', value: round(late.p50), unit: 'ms' },
  { metric: '(b) timer lateness p90', value: round(late.p90), unit: 'ms' },
  { metric: '(b) timer lateness p99', value: round(late.p99), unit: 'ms' },
  { metric: '(b) timer lateness max', value: round(late.max), unit: 'ms' },
  { metric: '(b) unpurchased sessions nudged exactly once', value: realCheck.once, unit: `of ${realCheck.expected}` },
  { metric: '(b) purchased sessions nudged', value: realCheck.purchasedNudged, unit: 'sessions' },
  { metric: '(b) missing or repeated nudges', value: realCheck.missing + realCheck.repeated, unit: 'sessions' },
  { metric: '(b) events refused', value: refused, unit: 'events' },
];
const targets = {
  entries: { target: `≥ ${TARGET.entriesPerSecond} entries/s`, measured: Math.round(entriesPerSecond), met: entriesPerSecond >= TARGET.entriesPerSecond },
  onceOnly: { target: 'every timeout sent once, no purchase-completed session nudged', measured: simCheck.correct && realCheck.correct ? 'yes' : 'no', met: simCheck.correct && realCheck.correct },
  lateness: { target: `timers ≤ ${TARGET.latenessP99Ms} ms late at p99`, measured: round(late.p99), met: late.count > 0 && late.p99 <= TARGET.latenessP99Ms },
};
report('abandonment', startedAt, results, {
  note: '(a) simulated clock, recording driver in process; (b) real clock, lateness = delivery time − (arrival + hold), HDR histogram; ceiling = raw LMDB puts of one ~1 KB msgpack record per session (at least 100k), lmdb-js batched async puts, noSync',
  settings: { sessions, concurrency, arrivalSpreadSimulatedMs: ARRIVAL_SPREAD_MS, stepMs: STEP_MS, holdMs: HOLD_MS, real: { sessions: realSessions, rate: realRate, holdMs }, durability: 'committed' },
  targets,
  checks: { simulated: simCheck, real: realCheck },
  lateness: late,
  ceiling,
});
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
process.stdout.write(`  targets: entries ${targets.entries.target}: ${verdict(targets.entries.met)} (${targets.entries.measured}); once and only once: ${verdict(targets.onceOnly.met)}; lateness ${targets.lateness.target}: ${verdict(targets.lateness.met)} (${targets.lateness.measured} ms)\n`);
if (!simCheck.correct || !realCheck.correct) {
  process.stderr.write('abandonment: the engine sent a wrong set of nudges (see checks in bench/results/abandonment.json)\n');
  process.exitCode = 1;
}
