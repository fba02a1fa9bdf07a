/**
 * messageId deduplication over a window (default 24 h), kept in LMDB in time buckets that
 * expire whole: a key is [shard, bucket, messageId], so expiring a bucket is a range delete.
 * Ids of the batch not yet committed are checked in memory.
 */
import type { Batch } from './committer.js';
import type { Store } from './store.js';

export class Dedupe {
  private readonly pending = new Map<string, number>();

  constructor(private readonly store: Store, readonly windowMs: number, readonly bucketMs = 12 * 3_600_000) {}

  private bucketOf(time: number): number {
    return Math.floor(time / this.bucketMs);
  }

  seen(shard: number, messageId: string, now: number): boolean {
    if (this.pending.has(messageId)) return true;
    const newest = this.bucketOf(now);
    for (let bucket = this.bucketOf(now - this.windowMs); bucket <= newest; bucket++) {
      if (this.store.dedupe.doesExist([shard, bucket, messageId])) return true;
    }
    return false;
  }

  remember(batch: Batch, shard: number, messageId: string, now: number): void {
    const bucket = this.bucketOf(now);
    this.pending.set(messageId, batch.id);
    batch.put(this.store.dedupe, [shard, bucket, messageId], 1);
    batch.afterCommit.push(() => {
      if (this.pending.get(messageId) === batch.id) this.pending.delete(messageId);
    });
  }

  /** Deletes the buckets that left the window; returns how many ids went. */
  async expire(shards: number, now: number): Promise<number> {
    const oldest = this.bucketOf(now - this.windowMs);
    let removed = 0;
    await this.store.env.transaction(() => {
      for (let shard = 0; shard < shards; shard++) {
        for (const key of this.store.dedupe.getKeys({ start: [shard], end: [shard, oldest] })) {
          this.store.dedupe.remove(key);
          removed++;
        }
      }
    });
    return removed;
  }
}
