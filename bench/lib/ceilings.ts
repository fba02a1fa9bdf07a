/**
 * The ceilings each bench measures in the same run, so that the engine's figure can be given as a
 * fraction of what the layer under it can do on this machine at this moment:
 * - `httpPostCeiling`: a bare HTTP POST loop (undici Pool, keep-alive, the same connection count
 *   as the engine's webhook destination) against the same receiver;
 * - `httpPostOpenLoop`: the same requests sent open-loop at a fixed rate, for the latency floor;
 * - `lmdbPutCeiling`: raw LMDB batched puts of ~1 KB msgpack records, durability as the engine's
 *   `committed` (noSync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { pack } from 'msgpackr';
import { Pool } from 'undici';
import { hr } from './clock.js';
import { openLoop, type OpenLoopResult } from './load.js';

export interface HttpCeiling {
  requests: number;
  seconds: number;
  perSecond: number;
  errors: number;
}

const HEADERS = { 'content-type': 'application/json', 'user-agent': 'journeys-bench' };

function bodyOf(run: string, index: number, sentAt: number, calledAt: number): string {
  // The same shape and about the same size as the forward bench's mapped payload.
  return JSON.stringify({ email: `user-${index}@example.com`, form: 'contact', submitted_at: new Date().toISOString(), sent_at: sentAt, called_at: calledAt, run });
}

/** Closed loop: `connections` requests in flight for `durationMs`, as fast as the receiver answers. */
export async function httpPostCeiling(url: string, options: { connections: number; durationMs: number; run: string }): Promise<HttpCeiling> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: options.connections });
  let requests = 0;
  let errors = 0;
  const began = hr();
  const until = began + options.durationMs;
  const worker = async () => {
    while (hr() < until) {
      const now = hr();
      try {
        const response = await pool.request({ path: target.pathname, method: 'POST', headers: { ...HEADERS, 'idempotency-key': `${options.run}-${requests}` }, body: bodyOf(options.run, requests, now, now) });
        await response.body.text();
        if (response.statusCode === 200) requests++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (hr() - began) / 1000;
  await pool.close();
  return { requests, seconds, perSecond: requests / seconds, errors };
}

/** Open loop: `count` POSTs at `rate` per second, each stamped with its scheduled time. */
export async function httpPostOpenLoop(url: string, options: { connections: number; rate: number; count: number; run: string }): Promise<OpenLoopResult & { errors: number }> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: options.connections });
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const result = await openLoop({
    rate: options.rate,
    count: options.count,
    send: (index, scheduledAt) => {
      inFlight.push(
        pool
          .request({ path: target.pathname, method: 'POST', headers: { ...HEADERS, 'idempotency-key': `${options.run}-${index}` }, body: bodyOf(options.run, index, scheduledAt, hr()) })
          .then((response) => response.body.text())
          .then(() => undefined, () => void errors++),
      );
    },
  });
  await Promise.all(inFlight);
  await pool.close();
  return { ...result, errors };
}

const NOTE = 'x'.repeat(640);

/** A ~1 KB record like a waiting cart-abandonment instance (msgpack-able). */
export function sessionRecord(index: number): Record<string, unknown> {
  return {
    id: `${index % 64}-${index.toString(16).padStart(24, '0')}`,
    journeyId: 'cart-abandonment',
    version: 1,
    profileKey: `user-${index}`,
    status: 'active',
    state: 'wait-for-purchase',
    enteredAt: 1_780_000_000_000 + index,
    visits: { 'wait-for-purchase': 1 },
    timers: { 'wait-for-purchase.timeout': { due: 1_780_003_600_000 + index, eventType: 'xstate.after.wait-for-purchase' } },
    context: {
      checkout_started: {
        event: 'checkout_started',
        messageId: `m-${index}`,
        timestamp: '2026-11-29T10:00:00.000Z',
        properties: { session_id: `s-${index}`, total: index % 200, cart_id: `cart-${index}`, email: `user-${index}@example.com`, note: NOTE },
      },
    },
  };
}

export interface LmdbCeiling {
  records: number;
  seconds: number;
  perSecond: number;
  bytesPerRecord: number;
}

/**
 * Raw LMDB: `records` puts of sessionRecord(i), noSync (the engine's `committed`), through
 * lmdb-js's own batching — async `put`s issued together are committed together in one
 * transaction, off the main thread — waiting for every `window`th put so memory stays bounded.
 * (The fastest of the ways tried on the reference machine: explicit transactions of 500, 2000
 * and 10000 puts each awaited in turn reached 100k–120k puts/s where this reached ~140k.)
 */
export async function lmdbPutCeiling(records: number, options: { window?: number; onProgress?: (done: number) => void } = {}): Promise<LmdbCeiling> {
  const window = options.window ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'journeys-bench-lmdb-'));
  const env = open({ path: dir, noSync: true, maxDbs: 4, mapSize: 2 ** 36 });
  const db = env.openDB({ name: 'instances' });
  const bytesPerRecord = pack(sessionRecord(0)).length;
  const began = hr();
  let last: Promise<boolean> | undefined;
  for (let i = 0; i < records; i++) {
    last = db.put([i % 64, `s-${i}`], sessionRecord(i));
    if ((i + 1) % window === 0) {
      await last;
      options.onProgress?.(i + 1);
    }
  }
  await last;
  const seconds = (hr() - began) / 1000;
  await env.close();
  rmSync(dir, { recursive: true, force: true });
  return { records, seconds, perSecond: records / seconds, bytesPerRecord };
}
