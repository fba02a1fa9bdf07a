/**
 * What the three peer processes of the peers bench share: arguments, the events of the
 * workload, the nudge body of the two peers that are not the engine (shaped like the engine's
 * send payload), waiting for the receiver, memory after GC, and the result line.
 *
 * The workload, for every peer alike: N checkout sessions (session `s-i`, user `user-i`, a
 * ~370-byte entry event); right after its entry is accepted, every even session completes its
 * purchase; the odd ones time out after the hold and get one nudge POSTed to the receiver.
 */
import { parseArgs } from 'node:util';
import { gc, rss } from '../report.js';

export interface PeerArgs {
  sessions: number;
  holdMs: number;
  receiver: string;
  durability: string;
  memorySessions: number;
  redis: { host: string; port: number };
}

export function peerArgs(): PeerArgs {
  const { values } = parseArgs({
    options: { sessions: { type: 'string' }, 'hold-ms': { type: 'string' }, receiver: { type: 'string' }, durability: { type: 'string' }, 'memory-sessions': { type: 'string' }, redis: { type: 'string' } },
  });
  const sessions = Number(values.sessions ?? 10_000);
  return {
    sessions,
    holdMs: Number(values['hold-ms'] ?? 5_000),
    receiver: values.receiver ?? 'http://127.0.0.1:0',
    durability: values.durability ?? 'committed',
    memorySessions: Number(values['memory-sessions'] ?? sessions),
    redis: { host: (values.redis ?? '127.0.0.1:6379').split(':')[0]!, port: Number((values.redis ?? '127.0.0.1:6379').split(':')[1] ?? 6379) },
  };
}

const padding = 'x'.repeat(200);

export function entryEvent(i: number) {
  return {
    type: 'track', userId: `user-${i}`, event: 'checkout_started',
    properties: { session_id: `s-${i}`, total: 42, cart_id: `cart-${i}`, note: padding }, messageId: `m-${i}`,
  };
}
export type EntryEvent = ReturnType<typeof entryEvent>;

export function purchaseEvent(i: number) {
  return { type: 'track', userId: `user-${i}`, event: 'purchase_completed', properties: { session_id: `s-${i}` }, messageId: `p-${i}` };
}

export const purchases = (i: number) => i % 2 === 0;

/** The nudge the non-engine peers send: the engine's payload shape (entry event in journey_context). */
export function nudgeBody(entry: EntryEvent, now: number): string {
  return JSON.stringify({
    type: 'track', event: 'Cart Abandoned', userId: entry.userId, messageId: `nudge-${entry.properties.session_id}`,
    timestamp: new Date(now).toISOString(),
    properties: {
      journey_context: { checkout_started: entry },
      journey_metadata: { journey_id: 'cart-abandonment', step_id: 'nudge', session: entry.properties.session_id },
    },
  });
}

export interface ReceiverStats {
  received: number;
  unique: number;
  duplicates: number;
  purchasedNudged: number;
  unreadable: number;
  firstAt: number;
  lastAt: number;
}

export async function receiverStats(receiver: string, peer: string): Promise<ReceiverStats> {
  const response = await fetch(`${receiver}/stats/${peer}`);
  return (await response.json()) as ReceiverStats;
}

/** Waits until the receiver has `expected` nudges from `peer`, then a grace second for extras; returns its tally. */
export async function waitForNudges(receiver: string, peer: string, expected: number, timeoutMs: number, log: (line: string) => void): Promise<ReceiverStats & { complete: boolean }> {
  const began = Date.now();
  let lastLog = began;
  for (;;) {
    const stats = await receiverStats(receiver, peer);
    if (stats.received >= expected) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return { ...(await receiverStats(receiver, peer)), complete: true };
    }
    if (Date.now() - began > timeoutMs) return { ...stats, complete: false };
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  ${stats.received.toLocaleString()} / ${expected.toLocaleString()} nudges received`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function settleMemory(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
}

export function memorySample() {
  const usage = process.memoryUsage();
  const { anon, file } = rss();
  return { heap: usage.heapUsed, external: usage.external, anon, file };
}

export function logger(peer: string): (line: string) => void {
  return (line) => process.stderr.write(`[peers:${peer}] ${line}\n`);
}

export interface PeerResult {
  peer: string;
  durability: string;
  sessions: number;
  holdMs: number;
  /** First entry → last entry (and purchase) accepted. */
  entrySeconds: number;
  /** First entry → last nudge received (and every entry accepted). */
  wallSeconds: number;
  nudges: ReceiverStats & { complete: boolean; expected: number };
  memory: { sessions: number; anonPerInstance: number; heapPerInstance: number; filePerInstance: number; serverPerInstance?: number; serverRssPerInstance?: number; note: string };
  notes: string[];
}

export function emit(result: PeerResult): void {
  process.stdout.write(JSON.stringify({ result }) + '\n');
}
