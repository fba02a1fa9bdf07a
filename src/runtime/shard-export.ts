/**
 * A shard's state as one blob, for cluster mode: its key range in every per-shard database
 * (profiles, instances, the due-time index, dedupe, entry traces), the last stream sequence it
 * applied, and optionally its pending sends. Read in one synchronous pass, so it is one
 * consistent LMDB snapshot: the state and the sequence belong together.
 *
 * Not shipped: the per-step counters (each worker counts what it applied) and the
 * `journey-instances`/`ended` indexes (rebuilt from the instance records on import).
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
 * The committed state of some shards, in one synchronous pass (one consistent snapshot). With
 * `outbox`, their pending sends too (for a takeover after a crash): one scan of the outbox for all.
 */
export function exportShards(store: Store, list: number[], shards: number, at: number, options: { outbox: boolean }): Map<number, { bytes: Uint8Array; applied: number }> {
  const outboxes = new Map<number, OutboxRecord[]>(list.map((shard) => [shard, []]));
  if (options.outbox) {
    for (const { value } of store.outbox.getRange({})) {
      const record = value as OutboxRecord;
      outboxes.get(shardOf(record.profileKey, shards))?.push(record);
    }
  }
  const exported = new Map<number, { bytes: Uint8Array; applied: number }>();
  for (const shard of list) {
    const ranges = {} as ShardExport['ranges'];
    for (const name of RANGES) ranges[name] = rangeOf(store[name], shard);
    const applied = appliedSeq(store, shard);
    const data: ShardExport = { format: EXPORT_FORMAT, shard, shards, applied, at, ranges, outbox: outboxes.get(shard)! };
    exported.set(shard, { bytes: pack(data), applied });
  }
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
