/**
 * Leases in a KV bucket whose TTL is the lease time (nats-server 2.9 has no per-key TTL). A key
 * is `shard.<n>` (or `router`); its value the holder's worker id.
 *
 * - Acquire: `create` succeeds only when the key is absent (expired, deleted or never made).
 * - Renew: `update` with the revision this worker last wrote: a compare-and-set. The revision
 *   is the fencing token: once another worker has made the key, the old revision no longer
 *   matches and the renewal fails, so the old holder learns it lost the lease.
 * - Validity: a lease is safe to act on until `sentAt + ttl × 0.8`, where `sentAt` is when the
 *   last successful write was sent (the server expires the key no sooner than `ttl` after it
 *   received it). Commits check it (the engine's fence); a worker that cannot renew in time
 *   stops applying the shard before anyone else can take it.
 * - Release: `delete` with the last revision (a graceful hand-back frees the key at once).
 */
import type { KV } from '@nats-io/kv';

export const SAFETY = 0.8;

export interface Lease {
  revision: number;
  /** Until then this worker may apply the leased shard. */
  validUntil: number;
  renewedAt: number;
}

export type RenewResult = 'renewed' | 'lost' | 'failed';

export class Leases {
  constructor(private readonly kv: KV, private readonly worker: string, private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  /** Takes the key when it is free; undefined when another worker holds it. */
  async acquire(key: string): Promise<Lease | undefined> {
    const sentAt = this.now();
    try {
      const revision = await this.kv.create(key, this.worker);
      return { revision, validUntil: sentAt + this.ttlMs * SAFETY, renewedAt: sentAt };
    } catch {
      return undefined;
    }
  }

  /** Extends the lease in place. `lost`: someone else holds the key now; `failed`: NATS did not answer (try again). */
  async renew(key: string, lease: Lease): Promise<RenewResult> {
    const sentAt = this.now();
    try {
      lease.revision = await this.kv.update(key, this.worker, lease.revision);
      lease.validUntil = sentAt + this.ttlMs * SAFETY;
      lease.renewedAt = sentAt;
      return 'renewed';
    } catch (error) {
      return /wrong last sequence/i.test((error as Error).message) ? 'lost' : 'failed';
    }
  }

  /** True when the key still carries this lease's revision (checked before a shipment). */
  async confirm(key: string, lease: Lease): Promise<boolean> {
    try {
      const entry = await this.kv.get(key);
      return entry !== null && entry.operation === 'PUT' && entry.revision === lease.revision && entry.string() === this.worker;
    } catch {
      return false;
    }
  }

  /** Hands the key back at once (only if it still carries this lease's revision). */
  async release(key: string, lease: Lease): Promise<void> {
    try {
      await this.kv.delete(key, { previousSeq: lease.revision });
    } catch {
      // Taken over already, or NATS is gone: the key expires by itself.
    }
  }
}

export const shardKey = (shard: number) => `shard.${shard}`;
export const ROUTER_KEY = 'router';
