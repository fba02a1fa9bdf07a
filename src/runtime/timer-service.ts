/**
 * Every timer is in LMDB: in its instance's record, and the due-time index ([shard, due,
 * instanceId]) orders instances by their next deadline. The timing wheel
 * in memory holds only those due within the horizon, and is refilled from the index as time
 * passes, so memory does not grow with far-off timers. One interval drives the wheel: no
 * setTimeout per timer. After a restart, the first refill loads overdue timers and they fire
 * at once.
 *
 * The wheel may hold a timer twice or hold one that was cancelled; firing checks the instance
 * record, so such entries are harmless.
 */
import type { Clock } from './clock.js';
import type { Store } from './store.js';
import { TimingWheel } from './timing-wheel.js';

/** An instance's next deadline. */
export interface DueTimer {
  shard: number;
  profileKey: string;
  instanceId: string;
  due: number;
}

export interface TimerServiceOptions {
  horizonMs: number;
  resolutionMs: number;
  shards: number;
  /** Cluster mode: only the shards this worker holds are loaded (default: all). */
  holds?: (shard: number) => boolean;
}

export class TimerService {
  private readonly wheel: TimingWheel;
  /** Per wheel handle: what to fire. Only timers within the horizon are here. */
  private readonly entries: (DueTimer | undefined)[] = [];
  /** Timers due up to here are in the wheel (or will be put there when set). */
  private loadedUntil: number;
  private interval: NodeJS.Timeout | undefined;
  private lastRefill: number;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: TimerServiceOptions, private readonly fire: (timer: DueTimer) => void) {
    const now = clock.now();
    this.wheel = new TimingWheel(now, options.resolutionMs);
    this.loadedUntil = Number.NEGATIVE_INFINITY;
    this.lastRefill = now;
  }

  /** Loads the timers due within the horizon (all overdue ones included) and starts ticking. */
  start(): void {
    this.refill(this.clock.now());
    this.interval = setInterval(() => this.tick(), this.options.resolutionMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
  }

  /** A timer was set (its index entry is in the batch being committed). */
  scheduled(timer: DueTimer): void {
    if (timer.due <= this.loadedUntil) this.insert(timer);
  }

  /** Cluster mode: a shard was taken over; loads its timers due within the loaded horizon (overdue ones too). */
  loadShard(shard: number): void {
    if (this.loadedUntil === Number.NEGATIVE_INFINITY) return; // not started: start() loads it
    for (const { key, value } of this.store.timers.getRange({ start: [shard, 0], end: [shard, this.loadedUntil, '\uffff'] })) {
      const [, due, instanceId] = key as [number, number, string];
      if (due > this.loadedUntil) break;
      this.insert({ shard, profileKey: value as string, instanceId, due });
    }
  }

  /** Cluster mode: a timer that may not fire yet (its shard has not applied the events before it) is tried again shortly. */
  later(timer: DueTimer, now = this.clock.now()): void {
    this.insert(timer, now + Math.max(this.options.resolutionMs, 10));
  }

  get inMemory(): number {
    return this.wheel.size;
  }

  /** Entries in the due-time index: instances with a pending deadline. */
  pendingCount(): number {
    return this.store.timers.getCount();
  }

  tick(now = this.clock.now()): void {
    if (now - this.lastRefill >= this.options.horizonMs / 2) this.refill(now);
    this.wheel.advance(now, (handle) => {
      const entry = this.entries[handle];
      this.entries[handle] = undefined;
      if (entry) this.fire(entry);
    });
  }

  private refill(now: number): void {
    const until = now + this.options.horizonMs;
    const from = this.loadedUntil;
    this.loadedUntil = until;
    this.lastRefill = now;
    for (let shard = 0; shard < this.options.shards; shard++) {
      if (this.options.holds && !this.options.holds(shard)) continue;
      const range = this.store.timers.getRange({ start: [shard, from === Number.NEGATIVE_INFINITY ? 0 : from + 1], end: [shard, until, '\uffff'] });
      for (const { key, value } of range) {
        const [, due, instanceId] = key as [number, number, string];
        if (due > until) break;
        if (due <= from) continue;
        this.insert({ shard, profileKey: value as string, instanceId, due });
      }
    }
  }

  private insert(timer: DueTimer, at = timer.due): void {
    const handle = this.wheel.insert(at);
    this.entries[handle] = timer;
  }
}
