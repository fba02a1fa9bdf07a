/**
 * Which workers are alive: each puts a heartbeat key (its worker id) in a KV bucket with the
 * lease TTL and renews it on every rebalance tick; a worker that dies drops out after the TTL.
 *
 * Who should hold a shard: rendezvous hashing (highest random weight) over the live workers.
 * Every worker computes the same answer from the same list, a joining worker takes about
 * S/(n+1) shards from the others, and a leaving worker's shards spread over all the rest.
 */
import type { KV } from '@nats-io/kv';
import { fnv1a32 } from '../machines/hashing.js';

export class Membership {
  constructor(private readonly kv: KV, readonly worker: string, private readonly info: Record<string, unknown>) {}

  async heartbeat(): Promise<void> {
    await this.kv.put(this.worker, JSON.stringify({ ...this.info, at: new Date().toISOString() }));
  }

  async live(): Promise<string[]> {
    const workers: string[] = [];
    for await (const key of await this.kv.keys()) workers.push(key);
    if (!workers.includes(this.worker)) workers.push(this.worker);
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
