/**
 * Peer 3 of the peers bench: one live XState actor per session, in memory (no durability).
 * The machine waits for `purchase_completed` with its own `after` delay (the hold); on timeout
 * its action POSTs the nudge to the receiver (undici pool of 100 connections). Actors are kept
 * in a Map by session id (to route the purchase to them) until they finish. Entries are
 * created in a loop that yields to the event loop every 500 sessions, so timers and HTTP run.
 * Phase 1 (memory): N actors waiting with a 1 h delay; RssAnon and heap per actor after GC.
 * Phase 2 (workload): timed.
 *   xstate-peer.ts --sessions N --hold-ms 5000 --receiver URL
 */
import { Pool } from 'undici';
import { createActor, type AnyActorRef } from 'xstate';
import { cartMachine } from './machine.js';
import { emit, entryEvent, logger, memorySample, nudgeBody, peerArgs, purchases, settleMemory, waitForNudges, type EntryEvent, type PeerResult } from './common.js';

const args = peerArgs();
const peer = 'xstate';
const log = logger(peer);
const pool = new Pool(new URL(args.receiver).origin, { connections: 100 });
let failures = 0;

function post(entry: EntryEvent): void {
  pool.request({ path: `/hook/${peer}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: nudgeBody(entry, Date.now()) })
    .then(async (response) => {
      await response.body.dump();
      if (response.statusCode >= 300) failures++;
    })
    .catch(() => { failures++; });
}

const live = new Map<string, AnyActorRef>();

async function enter(holdMs: number, sessions: number, withPurchases: boolean): Promise<void> {
  const machine = cartMachine(holdMs, post);
  let lastLog = performance.now();
  const began = lastLog;
  for (let i = 0; i < sessions; i++) {
    const entry = entryEvent(i);
    const session = entry.properties.session_id;
    const actor = createActor(machine, { input: { entry } });
    live.set(session, actor);
    actor.subscribe({ complete: () => live.delete(session) });
    actor.start();
    if (withPurchases && purchases(i)) live.get(session)?.send({ type: 'purchase_completed' });
    if (i % 500 === 499) {
      await new Promise((resolve) => setImmediate(resolve));
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${(i + 1).toLocaleString()} / ${sessions.toLocaleString()} sessions entered (${Math.round((i + 1) / ((lastLog - began) / 1000)).toLocaleString()}/s)`);
      }
    }
  }
}

// Phase 1: memory per live actor.
let memory: PeerResult['memory'];
{
  log(`memory phase: ${args.memorySessions.toLocaleString()} live actors waiting (1 h)`);
  await settleMemory();
  const before = memorySample();
  await enter(3_600_000, args.memorySessions, false);
  await settleMemory();
  const after = memorySample();
  const n = args.memorySessions;
  if (live.size !== n) throw new Error(`${live.size} live actors, expected ${n}`);
  memory = {
    sessions: n,
    anonPerInstance: Math.round((after.anon - before.anon) / n),
    heapPerInstance: Math.round((after.heap - before.heap) / n),
    filePerInstance: Math.round((after.file - before.file) / n),
    note: 'actor, its snapshot and entry event, its setTimeout, the session Map entry',
  };
  log(`memory phase: ${memory.anonPerInstance} B RssAnon, ${memory.heapPerInstance} B heap per live actor`);
  for (const actor of live.values()) actor.stop();
  live.clear();
}
await settleMemory();

// Phase 2: the workload, timed.
const expected = Math.floor(args.sessions / 2);
log(`workload: ${args.sessions.toLocaleString()} sessions, ${args.holdMs} ms hold`);
const t0 = Date.now();
await enter(args.holdMs, args.sessions, true);
const entryDone = Date.now();
log(`  entries done in ${((entryDone - t0) / 1000).toFixed(1)} s; waiting for ${expected.toLocaleString()} nudges`);
const nudges = await waitForNudges(args.receiver, peer, expected, args.holdMs + 600_000, log);
const wallSeconds = (Math.max(entryDone, nudges.lastAt) - t0) / 1000;
const notes = [`in memory only: nothing survives a crash`, `${live.size} actors still live at the end`];
if (failures) notes.push(`${failures} failed nudge POSTs`);
await pool.close();

emit({ peer, durability: 'none (memory)', sessions: args.sessions, holdMs: args.holdMs, entrySeconds: (entryDone - t0) / 1000, wallSeconds, nudges: { ...nudges, expected }, memory, notes });
