/** Cluster mode's settings (config key `nats`), with their defaults. docs/cluster.md explains each. */
export interface ClusterSettings {
  /** The NATS server(s), e.g. nats://127.0.0.1:4222. */
  url: string;
  /** Names of subjects, streams and buckets start with it (default `journeys`). */
  prefix: string;
  /** A lease (and a worker's heartbeat) expires this long after its last renewal (the KV buckets' TTL). */
  leaseTtlMs: number;
  /** How often a worker renews, rebalances and checks for shards to take over. */
  rebalanceMs: number;
  /** How often a held shard's state is shipped to the object store (when it changed). */
  exportIntervalMs: number;
  /** The shard and ingest streams keep messages this long (limits retention by age). */
  streamMaxAgeMs: number;
  /** JetStream's duplicate window on Nats-Msg-Id (short: the engine's own dedupe covers the long window). */
  duplicateWindowMs: number;
  /** Stream and bucket replicas (1 on a single server; 3 in production). */
  replicas: number;
  /** A timer fires only once its shard has applied every event stamped up to this long after its due time. */
  timerGraceMs: number;
  /** This worker's id (default: random). */
  workerId?: string;
}

export const CLUSTER_DEFAULTS: Omit<ClusterSettings, 'url'> = {
  prefix: 'journeys',
  leaseTtlMs: 10_000,
  rebalanceMs: 1_000,
  exportIntervalMs: 30_000,
  streamMaxAgeMs: 7 * 86_400_000,
  duplicateWindowMs: 120_000,
  replicas: 1,
  timerGraceMs: 100,
};
