/**
 * Group commit: the writes of many events go into one LMDB transaction. Work done while a
 * commit is in flight collects in the next batch, so batches grow with load. A batch's waiters
 * (the `ingest` calls whose effects it holds) resolve only after its commit.
 */
import type { Store } from './store.js';
import { JourneysError } from '../errors.js';

type Db = { put(key: unknown, value: unknown): unknown; remove(key: unknown): unknown };

export class Batch {
  /** Puts and removes as flat triples (db, key, value): no closure per write on the hot path. */
  private readonly writes: unknown[] = [];
  readonly afterCommit: (() => void)[] = [];
  private readonly waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  events = 0;
  /** Cluster mode: the shards whose stream messages or timers this batch applied (fenced before the commit). */
  readonly shards = new Set<number>();

  constructor(readonly id: number) {}

  get empty(): boolean {
    return this.writes.length === 0 && this.waiters.length === 0 && this.afterCommit.length === 0;
  }

  get hasWrites(): boolean {
    return this.writes.length > 0;
  }

  put(db: Db, key: unknown, value: unknown): void {
    this.writes.push(db, key, value);
  }

  remove(db: Db, key: unknown): void {
    this.writes.push(db, key, REMOVE);
  }

  /** Queues the puts and removes, in order, into the current lmdb-js batch. */
  apply(): void {
    const writes = this.writes;
    for (let i = 0; i < writes.length; i += 3) {
      const db = writes[i] as Db;
      if (writes[i + 2] === REMOVE) db.remove(writes[i + 1]);
      else db.put(writes[i + 1], writes[i + 2]);
    }
  }

  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  settle(error?: Error): void {
    for (const waiter of this.waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }
}

const REMOVE = Symbol('remove');

export class Committer {
  private current: Batch;
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  /** The id of the last batch whose commit completed. */
  committed = 0;
  failure: Error | undefined;

  /**
   * @param fence Cluster mode: rejects when a shard the batch applied is no longer safely leased
   *   to this worker; the commit then fails like a storage failure (nothing of it is written).
   */
  constructor(private readonly store: Store, private readonly onFailure: (error: Error) => void, private readonly fence?: (batch: Batch) => void | Promise<void>) {
    this.current = new Batch(1);
  }

  /** The batch that new writes go into. */
  get batch(): Batch {
    this.schedule();
    return this.current;
  }

  get pendingEvents(): number {
    return this.current.events;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Commits the current batch (after the one in flight, if any). */
  async flush(): Promise<void> {
    if (this.inFlight) {
      await this.inFlight;
      return this.current.empty ? undefined : this.flush();
    }
    const batch = this.current;
    if (batch.empty) return;
    this.current = new Batch(batch.id + 1);
    this.inFlight = this.commit(batch);
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
    if (!this.current.empty) this.schedule();
  }

  private async commit(batch: Batch): Promise<void> {
    if (this.failure) {
      batch.settle(this.failure);
      return;
    }
    try {
      if (this.fence && batch.shards.size > 0) await this.fence(batch);
      // One atomic lmdb-js batch: encoded here, the B-tree work done on lmdb-js's write thread.
      if (batch.hasWrites) await this.store.env.batch(() => batch.apply());
    } catch (cause) {
      // The memory state is ahead of the disk now: refuse further work; a restart recovers
      // from the last commit.
      this.failure = cause instanceof JourneysError ? cause : new JourneysError('JRN_STORAGE', `LMDB commit failed: ${(cause as Error).message}`, { cause });
      batch.settle(this.failure);
      this.onFailure(this.failure);
      return;
    }
    this.committed = batch.id;
    for (const after of batch.afterCommit) after();
    batch.settle();
  }

  /** Waits until everything written so far is committed. */
  async drain(): Promise<void> {
    while (this.inFlight || !this.current.empty) await this.flush();
  }
}
