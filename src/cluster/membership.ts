/**
 * Which workers are alive: each puts a heartbeat key (its worker id) in a KV bucket with the
 * lease TTL and renews it on every rebalance tick; a worker that dies drops out after the TTL.
 *
 * Who should hold a shard: rendezvous hashing (highest random weight) over the live workers.
 * Every worker computes the same answer from the same list, a joining worker takes about
 * S/(n+1) shards from the others, and a leaving worker's shards spread over all the rest.
 */
import type { KV } from '@nats-io/kv';
import type { JetStreamManager } from '@nats-io/jetstream';
import { fnv1a32 } from '../machines/hashing.js';

export class Membership {
  constructor(private readonly kv: KV, private readonly jsm: JetStreamManager, private readonly bucket: string, readonly worker: string, private readonly info: Record<string, unknown>) {}

  async heartbeat(): Promise<void> {
    await this.kv.put(this.worker, JSON.stringify({ ...this.info, at: new Date().toISOString() }));
  }

  /**
   * The workers whose heartbeat is in the bucket: the subjects the bucket's stream holds (an
   * expired heartbeat is gone from it), less those whose last entry is a delete (a worker that
   * left). One stream-info request (a `kv.keys()` would make a consumer on every call).
   */
  async live(): Promise<string[]> {
    const prefix = `$KV.${this.bucket}.`;
    const info = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}>` });
    const workers: string[] = [];
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const worker = subject.slice(prefix.length);
      if (worker === this.worker) continue;
      const entry = await this.kv.get(worker);
      if (entry && entry.operation === 'PUT') workers.push(worker);
    }
    workers.push(this.worker);
    return workers.sort();
  }

  async leave(): Promise<void> {
    await this.kv.delete(this.worker).catch(() => undefined);
  }
}

/** The live worker that should hold `shard` (rendezvous hashing). */
export function preferredOwner(shard: number, workers: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const worker of workers) {
    // Mixed once more so that similar worker ids do not give correlated weights.
    const weight = Math.imul(fnv1a32(`${worker}/${shard}`) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    if (weight > bestWeight || (weight === bestWeight && worker < best!)) {
      best = worker;
      bestWeight = weight;
    }
  }
  return best;
}
