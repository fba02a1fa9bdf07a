/**
 * Peer 1 of the peers bench: this engine, embedded, on LMDB, with the real clock. The
 * cart-abandonment example with its hold shortened to the bench's hold; sends go to the
 * receiver through the built-in webhook driver (concurrency 100, like the BullMQ Worker).
 * Entries go through `engine.ingest` (resolves after the commit), 2,000 in flight.
 * Phase 1 (memory): N sessions with a 1 h hold, all waiting; RssAnon and heap per instance
 * after GC. Phase 2 (workload): the whole workload with the short hold, timed.
 *   engine-peer.ts --sessions N --hold-ms 5000 --receiver URL --durability fsync|committed
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_IN_DRIVERS } from '../../src/destinations/drivers.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import type { Durability } from '../../src/runtime/store.js';
import { emit, entryEvent, logger, memorySample, peerArgs, purchaseEvent, purchases, settleMemory, waitForNudges, type PeerResult } from './common.js';

const args = peerArgs();
const peer = `engine-${args.durability}`;
const log = logger(peer);
const CONCURRENCY = 2_000;

async function open(holdSeconds: number): Promise<{ engine: Engine; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'journeys-peers-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true })); // also when a phase fails
  const engine = await createEngine({
    dataDir,
    durability: args.durability as Durability,
    drivers: BUILT_IN_DRIVERS,
    destinations: [{ id: 'crm-webhook', type: 'webhook', settings: { url: `${args.receiver}/hook/${peer}` }, concurrency: 100 }],
    maxPendingEvents: CONCURRENCY * 4,
  });
  const journey = JSON.parse(readFileSync(new URL('../../examples/cart-abandonment.json', import.meta.url), 'utf8'));
  journey.steps[0].maxDuration = `${holdSeconds}s`;
  await engine.publish(journey);
  return { engine, dataDir };
}

async function run(engine: Engine, sessions: number, withPurchases: boolean): Promise<void> {
  let next = 0;
  let lastLog = performance.now();
  const began = lastLog;
  async function lane(): Promise<void> {
    while (next < sessions) {
      const i = next++;
      await engine.ingest(entryEvent(i));
      if (withPurchases && purchases(i)) await engine.ingest(purchaseEvent(i));
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${next.toLocaleString()} / ${sessions.toLocaleString()} sessions entered (${Math.round(next / ((lastLog - began) / 1000)).toLocaleString()}/s)`);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

// Phase 1: memory per waiting instance.
let memory: PeerResult['memory'];
{
  log(`memory phase: ${args.memorySessions.toLocaleString()} sessions waiting (1 h hold)`);
  const { engine, dataDir } = await open(3_600);
  await settleMemory();
  const before = memorySample();
  await run(engine, args.memorySessions, false);
  await engine.settle();
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // maintenance passes: the profile cache evicted
  await settleMemory();
  const after = memorySample();
  const n = args.memorySessions;
  memory = {
    sessions: n,
    anonPerInstance: Math.round((after.anon - before.anon) / n),
    heapPerInstance: Math.round((after.heap - before.heap) / n),
    filePerInstance: Math.round((after.file - before.file) / n),
    note: 'this process (engine + LMDB); RssFile (LMDB mapped pages) apart',
  };
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  log(`memory phase: ${memory.anonPerInstance} B RssAnon, ${memory.heapPerInstance} B heap per waiting instance`);
}
await settleMemory();

// Phase 2: the workload, timed.
const { engine, dataDir } = await open(args.holdMs / 1000);
const expected = Math.floor(args.sessions / 2);
log(`workload: ${args.sessions.toLocaleString()} sessions, ${args.holdMs} ms hold, durability ${args.durability}`);
const t0 = Date.now();
await run(engine, args.sessions, true);
const entryDone = Date.now();
log(`  entries done in ${((entryDone - t0) / 1000).toFixed(1)} s; waiting for ${expected.toLocaleString()} nudges`);
const nudges = await waitForNudges(args.receiver, peer, expected, args.holdMs + 600_000, log);
const wallSeconds = (Math.max(entryDone, nudges.lastAt) - t0) / 1000;
await engine.settle();
const notes = [`outbox depth at the end: ${engine.outboxDepth()}`];
await engine.close();
rmSync(dataDir, { recursive: true, force: true });

emit({
  peer, durability: args.durability, sessions: args.sessions, holdMs: args.holdMs,
  entrySeconds: (entryDone - t0) / 1000, wallSeconds, nudges: { ...nudges, expected }, memory, notes,
});
