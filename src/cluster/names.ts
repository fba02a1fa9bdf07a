/**
 * The NATS names of one cluster. The prefix is `journeys` unless configured otherwise (tests use
 * their own, so that runs never meet): subjects `journeys.shard.<n>`, `journeys.ingest`,
 * `journeys.control`; streams `JOURNEYS_SHARDS`, `JOURNEYS_INGEST`, `JOURNEYS_CONTROL`; KV buckets
 * `journeys-leases`, `journeys-workers`, `journeys-links`, `journeys-state`; object store
 * `journeys-shards`.
 */
export interface ClusterNames {
  prefix: string;
  shardSubject(shard: number): string;
  shardWildcard: string;
  ingestSubject: string;
  /** Where the router reports events it could not take (with the reason naming the field). */
  rejectedSubject: string;
  controlSubject: string;
  rpcSubject(worker: string): string;
  shardStream: string;
  ingestStream: string;
  controlStream: string;
  leases: string;
  workers: string;
  links: string;
  state: string;
  exports: string;
}

export function clusterNames(prefix = 'journeys'): ClusterNames {
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(prefix)) throw new Error(`cluster prefix "${prefix}" must be lower-case letters, digits, _ or - (at most 32)`);
  const upper = prefix.toUpperCase().replace(/-/g, '_');
  return {
    prefix,
    shardSubject: (shard) => `${prefix}.shard.${shard}`,
    shardWildcard: `${prefix}.shard.*`,
    ingestSubject: `${prefix}.ingest`,
    rejectedSubject: `${prefix}.rejected`,
    controlSubject: `${prefix}.control`,
    rpcSubject: (worker) => `${prefix}.rpc.${worker}`,
    shardStream: `${upper}_SHARDS`,
    ingestStream: `${upper}_INGEST`,
    controlStream: `${upper}_CONTROL`,
    leases: `${prefix}-leases`,
    workers: `${prefix}-workers`,
    links: `${prefix}-links`,
    state: `${prefix}-state`,
    exports: `${prefix}-shards`,
  };
}
