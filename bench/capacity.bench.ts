/**
 * Capacity: N active, waiting cart-abandonment instances (one profile and one checkout session
 * each, a ~300-byte entry event) in a real engine on LMDB with durable commits, fed through
 * `engine.ingest` with a sliding window of concurrent ingests. After each stage, with everything
 * committed, the cache evicted and GC run, it reports the anonymous RSS (RssAnon) per waiting
 * instance, LMDB's mapped pages apart (RssFile), heap per instance and the LMDB file size.
 *
 * Stages: 1M (full), then 10M only with --full10m (1M → 10M took 33 min on the 2-core reference
 * machine, over the 30-minute budget of a full run; the output says it was not run); 100k (--quick).
 * The engine's clock is a ManualClock frozen at the start, so that no 1 h hold expires during a
 * long run (timers far off are in LMDB's due-time index, not in memory, either way).
 * Ceiling, in the same run: raw LMDB batched puts of the same entry records.
 *   npm run bench -- capacity [--quick] [--full10m] [--stages 1000000,10000000] [--concurrency 2000]
 * Targets (bench.md): ≤ 1 KB RssAnon per waiting instance at 1M; 10M in ≤ 4 GB RssAnon.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { createEngine } from '../src/runtime/engine.js';
import { ManualClock } from '../src/runtime/clock.js';
import { gc, report, rss, type Metric } from './report.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, full10m: { type: 'boolean' }, stages: { type: 'string' }, concurrency: { type: 'string' } },
});
const stages = values.stages ? values.stages.split(',').map(Number) : values.quick ? [100_000] : [1_000_000, 10_000_000];
const concurrency = Number(values.concurrency ?? 2_000);
const LIMIT_MINUTES = 30;
const startedAt = new Date();
const results: Metric[] = [];
const log = (line: string) => process.stderr.write(`[capacity] ${line}\n`);
const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const MiB = 2 ** 20;

const padding = 'x'.repeat(200);
const entryEvent = (j: number) => ({
  type: 'track', userId: `user-${j}`, event: 'checkout_started',
  properties: { session_id: `s-${j}`, total: 42, cart_id: `cart-${j}`, note: padding }, messageId: `m-${j}`,
});
const entryBytes = Buffer.byteLength(JSON.stringify(entryEvent(123_456)));

async function settleMemory(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
}

/** Apparent and allocated bytes of every file under a directory. */
function sizeOf(dir: string): { apparent: number; allocated: number } {
  let apparent = 0;
  let allocated = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = sizeOf(path);
      apparent += inner.apparent;
      allocated += inner.allocated;
    } else {
      const stat = statSync(path);
      apparent += stat.size;
      allocated += stat.blocks * 512;
    }
  }
  return { apparent, allocated };
}

const dataDir = mkdtempSync(join(tmpdir(), 'journeys-capacity-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true })); // also when a stage fails (10M leaves ~20 GB)
const clock = new ManualClock(Date.now());
const engine = await createEngine({
  dataDir,
  clock,
  destinations: [{ id: 'crm-webhook', type: 'log', settings: {} }],
  maxPendingEvents: concurrency * 2,
});
const journey = JSON.parse(readFileSync(new URL('../examples/cart-abandonment.json', import.meta.url), 'utf8'));
await engine.publish(journey);
log(`data directory ${dataDir}; entry event ${entryBytes} B of JSON; ${concurrency} ingests in flight; stages ${stages.map(label).join(', ')}`);

await settleMemory();
const heap0 = process.memoryUsage();
const rss0 = rss();
results.push({ metric: 'entry event size (JSON)', value: entryBytes, unit: 'B' });
results.push({ metric: 'baseline RssAnon (engine open, journey published)', value: Math.round(rss0.anon / MiB), unit: 'MiB' });
results.push({ metric: 'baseline RssFile', value: Math.round(rss0.file / MiB), unit: 'MiB' });

const notes = ['engine clock frozen at the start (ManualClock): no 1 h hold expires during the run'];
let ingested = 0;
let firstStageRate = 0;
for (const [index, target] of stages.entries()) {
  if (target >= 10_000_000 && !values.full10m && !values.stages) {
    // Measured on the 2-core reference machine: the 1M → 10M stage took 33 min (4.6k entries/s,
    // the rate falling as LMDB grows), over the 30-minute budget of a full run.
    const minutes = firstStageRate ? (target - ingested) / firstStageRate / 60 : NaN;
    const estimate = Number.isFinite(minutes) ? `; at this run's ${label(ingested)}-stage rate (${Math.round(firstStageRate).toLocaleString()} entries/s) it would need at least ${Math.round(minutes)} min, and the rate falls as LMDB grows` : '';
    const note = `${label(target)} stage NOT RUN: it takes over ${LIMIT_MINUTES} minutes on this machine (33 min measured for 1M → 10M at 4.6k entries/s)${estimate}; it is opt-in: npm run bench -- capacity --full10m`;
    log(note);
    process.stdout.write(`\n${note}\n`);
    notes.push(note);
    results.push({ metric: `${label(target)}: stage not run (opt-in with --full10m); lower-bound estimate`, value: Number.isFinite(minutes) ? Math.round(minutes) : 0, unit: 'min' });
    break;
  }
  log(`stage ${label(target)}: ingesting ${(target - ingested).toLocaleString()} sessions`);
  const began = performance.now();
  const from = ingested;
  let next = ingested;
  let lastLog = began;
  async function lane(): Promise<void> {
    while (next < target) {
      const j = next++;
      await engine.ingest(entryEvent(j));
      ingested++;
      const now = performance.now();
      if (now - lastLog > 10_000) {
        lastLog = now;
        log(`  ${ingested.toLocaleString()} / ${target.toLocaleString()} (${Math.round((ingested - from) / ((now - began) / 1000)).toLocaleString()} entries/s, RssAnon ${Math.round(rss().anon / MiB)} MiB)`);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - began) / 1000;
  const rate = (target - from) / seconds;
  if (index === 0) firstStageRate = rate;
  await engine.settle();
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // maintenance passes: counters flushed, cache evicted
  await settleMemory();
  const heap = process.memoryUsage();
  const mem = rss();
  const size = sizeOf(dataDir);
  const active = engine.getJourney('cart-abandonment').steps.find((step: { id: string }) => step.id === 'wait-for-purchase')?.active ?? -1;
  const n = target;
  const l = label(target);
  results.push({ metric: `${l}: entries per second (this stage)`, value: Math.round(rate), unit: 'entries/s' });
  results.push({ metric: `${l}: instances waiting (step counter)`, value: active, unit: 'instances' });
  results.push({ metric: `${l}: timers in the due-time index`, value: engine.timersPending(), unit: 'timers' });
  results.push({ metric: `${l}: timers in the wheel (memory)`, value: engine.timersInMemory, unit: 'timers' });
  results.push({ metric: `${l}: RssAnon per waiting instance`, value: Math.round((mem.anon - rss0.anon) / n), unit: 'B (target ≤ 1,024 at 1M)' });
  results.push({ metric: `${l}: RssAnon per waiting instance, fraction of the 1 KB target`, value: Number(((mem.anon - rss0.anon) / n / 1024).toFixed(2)), unit: '× (≤ 1 meets it)' });
  results.push({ metric: `${l}: RssAnon total`, value: Math.round(mem.anon / MiB), unit: n >= 10_000_000 ? 'MiB (target ≤ 4,096 at 10M)' : 'MiB' });
  results.push({ metric: `${l}: RssFile total (LMDB mapped pages, code)`, value: Math.round(mem.file / MiB), unit: 'MiB' });
  results.push({ metric: `${l}: RssFile growth per instance`, value: Math.round((mem.file - rss0.file) / n), unit: 'B' });
  results.push({ metric: `${l}: V8 heap per waiting instance`, value: Math.round((heap.heapUsed - heap0.heapUsed) / n), unit: 'B' });
  results.push({ metric: `${l}: V8 heap reserved (heapTotal) per waiting instance`, value: Math.round((heap.heapTotal - heap0.heapTotal) / n), unit: 'B' });
  results.push({ metric: `${l}: external + ArrayBuffer per waiting instance`, value: Math.round((heap.external - heap0.external) / n), unit: 'B' });
  results.push({ metric: `${l}: LMDB files (apparent size)`, value: Math.round(size.apparent / MiB), unit: 'MiB' });
  results.push({ metric: `${l}: LMDB files (allocated on disk)`, value: Math.round(size.allocated / MiB), unit: 'MiB' });
  results.push({ metric: `${l}: LMDB bytes on disk per instance`, value: Math.round(size.allocated / n), unit: 'B' });
  log(`stage ${l}: ${Math.round(rate).toLocaleString()} entries/s; RssAnon ${Math.round((mem.anon - rss0.anon) / n)} B/instance; heap ${Math.round((heap.heapUsed - heap0.heapUsed) / n)} B/instance; RssFile ${Math.round(mem.file / MiB)} MiB; LMDB ${Math.round(size.allocated / MiB)} MiB`);
}
await engine.close();
rmSync(dataDir, { recursive: true, force: true });

// Ceiling: the same entry records put straight into LMDB in batches (one transaction per 1,000).
{
  const n = Math.min(ingested, 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'journeys-capacity-ceiling-'));
  const db = open({ path: dir, noSync: true, mapSize: 2 ** 34 });
  log(`ceiling: ${n.toLocaleString()} raw LMDB puts of the entry records, 1,000 per transaction`);
  const began = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let start = 0; start < n; start += 1_000) {
    pending.push(db.transaction(() => {
      for (let j = start; j < Math.min(n, start + 1_000); j++) db.put([j % 64, `s-${j}`], entryEvent(j));
    }));
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
  const rate = n / ((performance.now() - began) / 1000);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  const engineRate = results.find((r) => r.metric.endsWith('entries per second (this stage)'))!.value;
  results.push({ metric: 'ceiling: raw LMDB batched puts of the same records', value: Math.round(rate), unit: 'puts/s' });
  results.push({ metric: `engine entries/s (${label(stages[0]!)} stage), fraction of the ceiling`, value: Number((engineRate / rate).toFixed(3)), unit: '×' });
}

report('capacity', startedAt, results, { note: notes.join('; ') });
