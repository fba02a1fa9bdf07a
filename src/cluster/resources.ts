/**
 * Creates the cluster's streams, KV buckets and object store when they are missing (an existing
 * one is used as it is: its settings are changed with the nats CLI, not by a worker start).
 *
 * - `<P>_SHARDS` (`<p>.shard.*`): the shards' events. File storage, limits retention by age
 *   (`streamMaxAgeMs`): long enough to replay from the oldest export that may be restored.
 * - `<P>_INGEST` (`<p>.ingest`): events from any producer, moved to the shard subjects by the router.
 * - `<P>_CONTROL` (`<p>.control`): journey, destination and audience changes; kept whole (a
 *   worker that joins replays it from the start).
 * - KV `<p>-leases` and `<p>-workers`: TTL `leaseTtlMs` (nats-server 2.9 has no per-key TTL;
 *   the bucket's max age expires a key that was not renewed).
 * - KV `<p>-links` (anonymousId → userId) and `<p>-state` (the shard count, the router's position).
 * - Object store `<p>-shards`: one export per shard.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { ClusterNames } from './names.js';
import type { ClusterSettings } from './settings.js';

export interface ClusterResources {
  jsm: JetStreamManager;
  leases: KV;
  workers: KV;
  links: KV;
  state: KV;
  exports: ObjectStore;
}

const nanos = (ms: number) => Math.round(ms * 1_000_000);

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
  }
}

async function ensureKv(kvm: Kvm, name: string, options: { ttl?: number; replicas: number }): Promise<KV> {
  try {
    return await kvm.create(name, { history: 1, replicas: options.replicas, ...(options.ttl ? { ttl: options.ttl } : {}) });
  } catch {
    return kvm.open(name); // exists with other settings: used as it is
  }
}

export async function ensureResources(nc: NatsConnection, names: ClusterNames, settings: ClusterSettings): Promise<ClusterResources> {
  const jsm = await jetstreamManager(nc);
  const replicas = settings.replicas;
  const dup = nanos(Math.min(settings.duplicateWindowMs, settings.streamMaxAgeMs));
  await ensureStream(jsm, { name: names.shardStream, subjects: [names.shardWildcard], retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: nanos(settings.streamMaxAgeMs), duplicate_window: dup, num_replicas: replicas, discard: DiscardPolicy.Old });
  await ensureStream(jsm, { name: names.ingestStream, subjects: [names.ingestSubject], retention: RetentionPolicy.Limits, storage: StorageType.File, max_age: nanos(settings.streamMaxAgeMs), duplicate_window: dup, num_replicas: replicas, discard: DiscardPolicy.Old });
  await ensureStream(jsm, { name: names.controlStream, subjects: [names.controlSubject], retention: RetentionPolicy.Limits, storage: StorageType.File, duplicate_window: dup, num_replicas: replicas });
  const kvm = new Kvm(nc);
  const leases = await ensureKv(kvm, names.leases, { ttl: settings.leaseTtlMs, replicas });
  const workers = await ensureKv(kvm, names.workers, { ttl: settings.leaseTtlMs, replicas });
  const links = await ensureKv(kvm, names.links, { replicas });
  const state = await ensureKv(kvm, names.state, { replicas });
  const objm = new Objm(nc);
  let exports: ObjectStore;
  try {
    exports = await objm.create(names.exports, { replicas });
  } catch {
    exports = await objm.open(names.exports);
  }
  return { jsm, leases, workers, links, state, exports };
}

/** Removes everything `ensureResources` made (tests clean up with it). */
export async function destroyResources(nc: NatsConnection, names: ClusterNames): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const stream of [names.shardStream, names.ingestStream, names.controlStream]) await jsm.streams.delete(stream).catch(() => undefined);
  const kvm = new Kvm(nc);
  for (const bucket of [names.leases, names.workers, names.links, names.state]) await kvm.open(bucket).then((kv) => kv.destroy()).catch(() => undefined);
  await new Objm(nc).open(names.exports).then((os) => os.destroy()).catch(() => undefined);
}
