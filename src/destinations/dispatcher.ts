/**
 * The dispatcher: delivers outbox records with per-destination concurrency, retries with
 * exponential backoff and full jitter (honouring Retry-After), and moves terminal failures to
 * the dead letters with the last error. A record leaves the outbox only in the commit that
 * records its delivery (or its dead letter), so a crash redelivers it, with the same messageId.
 */
import type { Clock } from '../runtime/clock.js';
import type { Committer } from '../runtime/committer.js';
import type { Counters } from '../runtime/counters.js';
import type { Store } from '../runtime/store.js';
import { backoffMs, DEFAULT_CONCURRENCY, retryPolicyOf } from './retry-policy.js';
import type { DeadLetter, DeliveryResult, DestinationConfig, DestinationDriver, OutboxRecord, RetryPolicy } from './types.js';

/** A FIFO with a moving head: O(1) take, unlike Array#shift, which copies a long array. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes the items that match; returns them. */
  drop(match: (item: T) => boolean): T[] {
    const dropped: T[] = [];
    this.items = this.items.slice(this.head).filter((item) => (match(item) ? (dropped.push(item), false) : true));
    this.head = 0;
    return dropped;
  }

  toArray(): T[] {
    return this.items.slice(this.head);
  }
}

interface Lane {
  config: DestinationConfig;
  driver: DestinationDriver;
  policy: RetryPolicy;
  concurrency: number;
  inFlight: number;
  ready: Queue<OutboxRecord>;
}

export interface DeliveryObserver {
  (event: { record: OutboxRecord; result: DeliveryResult; outcome: 'delivered' | 'retry' | 'dead' }): void;
}

export class Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  /** Records waiting for a retry, by due time (checked by one interval, no timer per record). */
  private waiting: OutboxRecord[] = [];
  /** Records whose destination is not configured (yet): kept, never dropped. */
  private readonly orphans = new Map<string, OutboxRecord[]>();
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly committer: Committer,
    private readonly counters: Counters,
    private readonly clock: Clock,
    private readonly observe: DeliveryObserver = () => {},
    private readonly random: () => number = Math.random,
  ) {}

  setDestination(config: DestinationConfig, driver: DestinationDriver): void {
    const previous = this.lanes.get(config.id);
    const lane: Lane = {
      config,
      driver,
      policy: retryPolicyOf(config),
      concurrency: driver.window ?? config.concurrency ?? DEFAULT_CONCURRENCY,
      inFlight: previous?.inFlight ?? 0,
      ready: previous?.ready ?? new Queue<OutboxRecord>(),
    };
    this.lanes.set(config.id, lane);
    if (previous && previous.driver !== driver) void previous.driver.close?.();
    const orphans = this.orphans.get(config.id);
    if (orphans) {
      this.orphans.delete(config.id);
      for (const record of orphans) this.enqueue(record);
    }
    this.pump(lane);
  }

  removeDestination(id: string): void {
    const lane = this.lanes.get(id);
    if (!lane) return;
    this.lanes.delete(id);
    this.orphans.set(id, [...(this.orphans.get(id) ?? []), ...lane.ready.toArray()]);
    void lane.driver.close?.();
  }

  /** Loads what the outbox holds (after a restart) and starts the retry clock. */
  start(): void {
    for (const { value } of this.store.outbox.getRange({})) this.enqueue(value as OutboxRecord);
    this.interval = setInterval(() => this.releaseDue(), 50);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    await this.idle();
    for (const lane of this.lanes.values()) await lane.driver.close?.();
  }

  /** Resolves when no delivery is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get depth(): number {
    let depth = this.waiting.length + this.active;
    for (const lane of this.lanes.values()) depth += lane.ready.length;
    for (const list of this.orphans.values()) depth += list.length;
    return depth;
  }

  /** Drops queued records that match (profile deletion); returns them. In-flight ones finish. */
  forget(match: (record: OutboxRecord) => boolean): OutboxRecord[] {
    const dropped: OutboxRecord[] = [];
    const keep = (list: OutboxRecord[]) => list.filter((record) => (match(record) ? (dropped.push(record), false) : true));
    this.waiting = keep(this.waiting);
    for (const lane of this.lanes.values()) dropped.push(...lane.ready.drop(match));
    for (const [id, list] of this.orphans) this.orphans.set(id, keep(list));
    return dropped;
  }

  enqueue(record: OutboxRecord): void {
    if (record.nextAttemptAt > this.clock.now()) {
      this.waiting.push(record);
      return;
    }
    const lane = this.lanes.get(record.destination);
    if (!lane) {
      const list = this.orphans.get(record.destination) ?? [];
      list.push(record);
      this.orphans.set(record.destination, list);
      return;
    }
    lane.ready.push(record);
    this.pump(lane);
  }

  private releaseDue(): void {
    if (this.waiting.length === 0) return;
    const now = this.clock.now();
    const due = this.waiting.filter((record) => record.nextAttemptAt <= now);
    if (due.length === 0) return;
    this.waiting = this.waiting.filter((record) => record.nextAttemptAt > now);
    for (const record of due) this.enqueue(record);
  }

  private pump(lane: Lane): void {
    while (!this.stopped && lane.inFlight < lane.concurrency && lane.ready.length > 0) {
      const record = lane.ready.take()!;
      lane.inFlight++;
      this.active++;
      void this.attempt(lane, record).finally(() => {
        lane.inFlight--;
        this.active--;
        if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.pump(this.lanes.get(lane.config.id) ?? lane);
      });
    }
  }

  private async attempt(lane: Lane, record: OutboxRecord): Promise<void> {
    let result: DeliveryResult;
    try {
      result = await lane.driver.deliver(record);
    } catch (error) {
      result = { ok: false, retryable: true, error: `driver error: ${(error as Error).message}` };
    }
    const now = this.clock.now();
    const attempts = record.attempts + 1;
    const batch = this.committer.batch;
    if (result.ok) {
      batch.remove(this.store.outbox, [record.seq]);
      this.counters.add(record.journeyId, record.version, record.step, 'delivered');
      this.observe({ record, result, outcome: 'delivered' });
      return;
    }
    const tooOld = now - record.createdAt >= lane.policy.maxAgeMs;
    if (!result.retryable || attempts >= lane.policy.maxAttempts || tooOld) {
      const reason = !result.retryable ? result.error : tooOld ? `gave up after ${lane.policy.maxAgeMs} ms: ${result.error}` : `gave up after ${attempts} attempts: ${result.error}`;
      const dead: DeadLetter = { ...record, id: record.seq, attempts, lastError: reason, failedAt: now };
      if (result.status !== undefined) dead.lastStatus = result.status;
      if (result.body !== undefined) dead.lastBody = result.body.slice(0, 4096);
      batch.remove(this.store.outbox, [record.seq]);
      batch.put(this.store.deadLetters, [dead.id], dead);
      this.counters.add(record.journeyId, record.version, record.step, 'failed');
      this.observe({ record, result, outcome: 'dead' });
      return;
    }
    const next: OutboxRecord = { ...record, attempts, lastError: result.error, nextAttemptAt: now + backoffMs(lane.policy, attempts, this.random, result.retryAfterMs) };
    batch.put(this.store.outbox, [record.seq], next);
    this.observe({ record, result, outcome: 'retry' });
    this.waiting.push(next);
  }
}
