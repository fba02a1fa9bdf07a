/**
 * A shard's state as one blob, for cluster mode: its key range in every per-shard database
 * (profiles, active instances, the due-time index, dedupe, entry traces), the last stream
 * sequence it applied, and optionally its pending sends. The state and the sequence are read in
 * one synchronous pass, so they are one consistent LMDB snapshot.
 *
 * Not shipped: the per-step counters (each worker counts what it applied), ended instances, and
 * the `journey-instances`/`ended` indexes (rebuilt from the instance records on import).
 */
import { pack, unpack } from 'msgpackr';
import type { OutboxRecord } from '../destinations/types.js';
import { shardOf } from '../machines/hashing.js';
import { JourneysError } from '../errors.js';
import type { StoredInstance } from './records.js';
import type { Database, Store } from './store.js';

export const EXPORT_FORMAT = 1;

export interface ShardExport {
  format: number;
  shard: number;
  shards: number;
  /** The last stream sequence whose effects the state holds (0: none). */
  applied: number;
  at: number;
  ranges: Record<ShardRange, [unknown, unknown][]>;
  outbox: OutboxRecord[];
}

const RANGES = ['profiles', 'instances', 'timers', 'dedupe', 'traces'] as const;
type ShardRange = (typeof RANGES)[number];

export function appliedKey(shard: number): [string, number] {
  return ['applied', shard];
}

export function appliedSeq(store: Store, shard: number): number {
  return (store.meta.get(appliedKey(shard)) as number | undefined) ?? 0;
}

function rangeOf(db: Database, shard: number): [unknown, unknown][] {
  const entries: [unknown, unknown][] = [];
  for (const { key, value } of db.getRange({ start: [shard], end: [shard + 1] })) entries.push([key, value]);
  return entries;
}

/**
 * The committed state of some shards. Each shard is read in one synchronous pass (its state and
 * its applied sequence are one consistent snapshot), with a turn of the event loop between
 * shards. Ended instances are left out (they hold no future behaviour; their timelines stay
 * queryable on the worker that ran them until retention). With `outbox`, the shards' pending
 * sends are added from one scan of the outbox made after every shard was read: it may hold a
 * send of a later sequence too (the replay makes it again with the same messageId), never miss
 * one the state has made.
 */
export async function exportShards(store: Store, list: number[], shards: number, at: number, options: { outbox: boolean }): Promise<Map<number, { bytes: Uint8Array; applied: number }>> {
  const read = new Map<number, ShardExport>();
  for (const shard of list) {
    const ranges = {} as ShardExport['ranges'];
    for (const name of RANGES) ranges[name] = rangeOf(store[name], shard);
    ranges.instances = ranges.instances.filter(([, value]) => (value as StoredInstance).status === 'active');
    read.set(shard, { format: EXPORT_FORMAT, shard, shards, applied: appliedSeq(store, shard), at, ranges, outbox: [] });
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (options.outbox) {
    for (const { value } of store.outbox.getRange({})) {
      const record = value as OutboxRecord;
      read.get(shardOf(record.profileKey, shards))?.outbox.push(record);
    }
  }
  const exported = new Map<number, { bytes: Uint8Array; applied: number }>();
  for (const [shard, data] of read) exported.set(shard, { bytes: pack(data), applied: data.applied });
  return exported;
}

export function readExport(bytes: Uint8Array, shards: number): ShardExport {
  const data = unpack(bytes) as ShardExport;
  if (!data || data.format !== EXPORT_FORMAT) throw new JourneysError('JRN_DATA_FORMAT', `A shard export has format ${data?.format}; this build reads ${EXPORT_FORMAT}.`);
  if (data.shards !== shards) throw new JourneysError('JRN_SHARD_MISMATCH', `A shard export was made with ${data.shards} shards; this worker runs ${shards}.`);
  return data;
}

/**
 * Replaces the shard's key range with the export's, in one transaction. Pending sends in the
 * export get new outbox sequences (from `nextSeq`) and are returned for the dispatcher.
 */
export async function importShard(store: Store, data: ShardExport, nextSeq: () => number): Promise<OutboxRecord[]> {
  const shard = data.shard;
  const sends = data.outbox.map((record) => ({ ...record, seq: nextSeq() }));
  await store.env.transaction(() => {
    for (const { value } of [...store.instances.getRange({ start: [shard], end: [shard + 1] })]) {
      const old = value as StoredInstance;
      store.journeyInstances.remove([old.journeyId, old.id]);
    }
    for (const name of RANGES) {
      const db = store[name];
      for (const key of [...db.getKeys({ start: [shard], end: [shard + 1] })]) db.remove(key);
      for (const [key, value] of data.ranges[name]) db.put(key as never, value);
    }
    for (const [, value] of data.ranges.instances) {
      const instance = value as StoredInstance;
      store.journeyInstances.put([instance.journeyId, instance.id], instance.status);
      if (instance.status !== 'active' && instance.endedAt !== undefined) store.ended.put([instance.endedAt, instance.id], shard);
    }
    for (const record of sends) store.outbox.put([record.seq], record);
    store.meta.put(appliedKey(shard), data.applied);
  });
  return sends;
}
