/**
 * The quick performance gate (run before and after a change): N cart-abandonment sessions
 * (default 100k) enter a real engine on LMDB with durable commits; prints entries/s and the
 * memory each waiting instance costs (heap and RssAnon, after GC).
 *   npm run bench -- quick [--sessions N] [--quick]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/runtime/engine.js';
import { gc, report, rss } from './report.js';

const { values } = parseArgs({ options: { sessions: { type: 'string' }, quick: { type: 'boolean' }, concurrency: { type: 'string' } } });
const sessions = Number(values.sessions ?? (values.quick ? 20_000 : 100_000));
const concurrency = Number(values.concurrency ?? 2_000);
const startedAt = new Date();
const dataDir = mkdtempSync(join(tmpdir(), 'journeys-bench-'));

const engine = await createEngine({
  dataDir,
  destinations: [{ id: 'crm-webhook', type: 'log', settings: {} }],
  maxPendingEvents: concurrency * 2,
});
await engine.publish(JSON.parse(readFileSync(new URL('../examples/cart-abandonment.json', import.meta.url), 'utf8')));
const padding = 'x'.repeat(200); // a ~300-byte entry event, as in bench.md's capacity workload
gc();
const heapBefore = process.memoryUsage().heapUsed;
const rssBefore = rss();

const began = performance.now();
// A sliding window of ingests in flight: intake keeps going while a commit is under way.
let next = 0;
async function lane(): Promise<void> {
  while (next < sessions) {
    const j = next++;
    await engine.ingest({ type: 'track', userId: `user-${j}`, event: 'checkout_started', properties: { session_id: `s-${j}`, total: 42, cart_id: `cart-${j}`, note: padding }, messageId: `m-${j}` });
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = (performance.now() - began) / 1000;
await engine.settle();
await new Promise((resolve) => setTimeout(resolve, 1_200)); // one maintenance pass: cache eviction
gc();
const heapAfter = process.memoryUsage().heapUsed;
const rssAfter = rss();

report('quick', startedAt, [
  { metric: 'sessions', value: sessions, unit: 'instances waiting' },
  { metric: 'entries per second', value: Math.round(sessions / seconds), unit: 'entries/s' },
  { metric: 'heap per waiting instance', value: Math.round((heapAfter - heapBefore) / sessions), unit: 'B' },
  { metric: 'RssAnon per waiting instance', value: Math.round((rssAfter.anon - rssBefore.anon) / sessions), unit: 'B' },
  { metric: 'RssFile (LMDB pages) growth', value: Math.round((rssAfter.file - rssBefore.file) / 2 ** 20), unit: 'MiB' },
  { metric: 'timers in the wheel', value: engine.timersInMemory, unit: 'timers' },
  { metric: 'timers in the due-time index', value: engine.timersPending(), unit: 'timers' },
]);
await engine.close();
rmSync(dataDir, { recursive: true, force: true });
