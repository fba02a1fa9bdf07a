/**
 * A shard: owns the profiles whose key hashes to it, and handles their messages one at a time
 * (each message runs to completion synchronously, so a profile's events apply in order). It
 * keeps hot profiles in memory, loads cold ones from LMDB, runs the deterministic core, and
 * writes the outcome into the current group-commit batch.
 */
import { fireTimer, processEvent, terminateInstance, type Outcome } from '../core/process-event.js';
import type { CoreEnv, Effect, IncomingEvent, InstanceRecord, ProfileState } from '../core/types.js';
import { newProfile } from '../profiles/traits.js';
import type { OutboxRecord } from '../destinations/types.js';
import type { Batch, Committer } from './committer.js';
import type { Counters } from './counters.js';
import type { Dedupe } from './dedupe.js';
import { appendTimeline, profileFromRecord, profileToRecord, type ProfileRecord, type StoredInstance } from './records.js';
import type { Store } from './store.js';
import type { DueTimer, TimerService } from './timer-service.js';

export const TRACE_RING = 20;

/**
 * The record as it is now, for a batch that commits later (its timers and timeline may change
 * before). Written field by field: an object spread costs far more on this hot path.
 */
function storedCopy(instance: StoredInstance): StoredInstance {
  const timers: StoredInstance['timers'] = {};
  for (const id in instance.timers) timers[id] = instance.timers[id]!;
  const copy: StoredInstance = {
    id: instance.id, journeyId: instance.journeyId, version: instance.version, profileKey: instance.profileKey, key: instance.key,
    entryMessageId: instance.entryMessageId, status: instance.status, step: instance.step, state: instance.state, context: instance.context,
    timers, enteredAt: instance.enteredAt, updatedAt: instance.updatedAt, timeline: instance.timeline ? instance.timeline.slice() : [],
  };
  if (instance.identifier !== undefined) copy.identifier = instance.identifier;
  if (instance.endedAt !== undefined) copy.endedAt = instance.endedAt;
  if (instance.indexedDue !== undefined) copy.indexedDue = instance.indexedDue;
  return copy;
}

export interface ShardContext {
  store: Store;
  core: CoreEnv;
  committer: Committer;
  counters: Counters;
  dedupe: Dedupe;
  timers: TimerService;
  /** Hands committed sends to the dispatcher. */
  deliver(records: OutboxRecord[]): void;
  nextOutboxSeq(): number;
  /** Event names some journey enters on, waits for or exits on: others skip the profile. */
  interesting(name: string): boolean;
  maxCachedProfiles: number;
}

interface Cached {
  profile: ProfileState;
  traceSeq: number;
  /** The batch holding this profile's latest writes: it stays in memory until that commits. */
  lastBatch: number;
}

export class Shard {
  private readonly cache = new Map<string, Cached>();

  constructor(readonly index: number, private readonly ctx: ShardContext) {}

  get cachedProfiles(): number {
    return this.cache.size;
  }

  /** Applies one event; returns false for a duplicate messageId (no effect). */
  handleEvent(event: IncomingEvent, profileKey: string, arrival: number): { duplicate: boolean; effects: Effect[] } {
    const batch = this.ctx.committer.batch;
    batch.events++;
    if (this.ctx.dedupe.seen(this.index, event.messageId, arrival)) return { duplicate: true, effects: [] };
    this.ctx.dedupe.remember(batch, this.index, event.messageId, arrival);
    if (event.type !== 'identify' && event.type !== 'alias' && !this.ctx.interesting(event.name)) return { duplicate: false, effects: [] };

    const cached = this.load(profileKey);
    const effects: Effect[] = [];
    // Timers due at or before the event's arrival fire before it.
    for (const due of this.dueTimersOf(cached.profile, arrival)) effects.push(...this.fire(cached, due.instanceId, due.timerId, due.due, batch, arrival));
    const before = this.positions(cached.profile);
    const outcome = processEvent(this.ctx.core, cached.profile, event, arrival);
    this.persist(cached, outcome, before, batch);
    effects.push(...outcome.effects);
    return { duplicate: false, effects };
  }

  /**
   * An instance's next deadline, from the wheel: fires every timer of the instance due by now, in
   * due order. A stale entry (the instance moved on, ended, or its deadline changed) does nothing.
   */
  handleTimer(timer: DueTimer, now: number): Effect[] {
    const batch = this.ctx.committer.batch;
    const cached = this.load(timer.profileKey);
    const instance = cached.profile.instances.find((candidate) => candidate.id === timer.instanceId) as StoredInstance | undefined;
    if (!instance || instance.indexedDue !== timer.due) return [];
    const effects: Effect[] = [];
    const due = Object.entries(instance.timers).filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [timerId, t] of due) effects.push(...this.fire(cached, instance.id, timerId, t.due, batch, now));
    return effects;
  }

  terminate(profileKey: string, instanceId: string, now: number): Effect[] {
    const batch = this.ctx.committer.batch;
    const cached = this.load(profileKey);
    const before = this.positions(cached.profile);
    const outcome = terminateInstance(this.ctx.core, cached.profile, instanceId, now);
    this.persist(cached, outcome, before, batch);
    return outcome.effects;
  }

  /** The profile as the shard sees it now (memory, else LMDB), or undefined. */
  peek(profileKey: string): ProfileState | undefined {
    const cached = this.cache.get(profileKey);
    if (cached) return cached.profile;
    return this.read(profileKey)?.profile;
  }

  /** Whether the profile in memory has this instance active (a profile with uncommitted writes is always in memory). */
  holdsActive(profileKey: string, instanceId: string): boolean {
    return this.cache.get(profileKey)?.profile.instances.some((instance) => instance.id === instanceId) ?? false;
  }

  /** Applies a change to a profile's record outside the event flow (audience membership, deletion). */
  update(profileKey: string, change: (profile: ProfileState) => void): void {
    const batch = this.ctx.committer.batch;
    const cached = this.load(profileKey);
    change(cached.profile);
    this.writeProfile(cached, batch);
  }

  /** Cluster mode: forgets every profile in memory (the shard moved, or its state was replaced by an import). */
  reset(): void {
    this.cache.clear();
  }

  /** Forgets a profile in memory (its records are being deleted). */
  forget(profileKey: string): void {
    this.cache.delete(profileKey);
  }

  /** Drops committed profiles beyond the cache size, least recently used first. */
  evict(): void {
    const excess = this.cache.size - this.ctx.maxCachedProfiles;
    if (excess <= 0) return;
    let dropped = 0;
    for (const [key, cached] of this.cache) {
      if (dropped >= excess) break;
      if (cached.lastBatch > this.ctx.committer.committed) continue;
      this.cache.delete(key);
      dropped++;
    }
  }

  private fire(cached: Cached, instanceId: string, timerId: string, due: number, batch: Batch, now = due): Effect[] {
    const before = this.positions(cached.profile);
    const outcome = fireTimer(this.ctx.core, cached.profile, instanceId, timerId, Math.max(now, due));
    this.persist(cached, outcome, before, batch);
    return outcome.effects;
  }

  private dueTimersOf(profile: ProfileState, arrival: number): { instanceId: string; timerId: string; due: number }[] {
    const due: { instanceId: string; timerId: string; due: number }[] = [];
    for (const instance of profile.instances) {
      for (const [timerId, timer] of Object.entries(instance.timers)) {
        if (timer.due <= arrival) due.push({ instanceId: instance.id, timerId, due: timer.due });
      }
    }
    return due.sort((a, b) => a.due - b.due);
  }

  private load(profileKey: string): Cached {
    let cached = this.cache.get(profileKey);
    if (cached) {
      this.cache.delete(profileKey); // re-insert: the Map's order is the LRU order
    } else {
      cached = this.read(profileKey) ?? { profile: newProfile(profileKey), traceSeq: 0, lastBatch: 0 };
    }
    this.cache.set(profileKey, cached);
    return cached;
  }

  private read(profileKey: string): Cached | undefined {
    const record = this.ctx.store.profiles.get([this.index, profileKey]) as ProfileRecord | undefined;
    if (!record) return undefined;
    const instances: InstanceRecord[] = [];
    for (const id of record.active) {
      const instance = this.ctx.store.instances.get([this.index, id]) as StoredInstance | undefined;
      if (instance && instance.status === 'active') instances.push(instance);
    }
    return { profile: profileFromRecord(record, instances), traceSeq: record.traceSeq ?? 0, lastBatch: 0 };
  }

  /** Where each instance of the profile is, before a step: for the per-step counters. */
  private positions(profile: ProfileState): Map<string, { step: string; visits: Record<string, number> }> {
    return new Map(profile.instances.map((instance) => [instance.id, { step: instance.step, visits: instance.context.visits }]));
  }

  private persist(cached: Cached, outcome: Outcome, before: Map<string, { step: string; visits: Record<string, number> }>, batch: Batch): void {
    const { store, counters } = this.ctx;
    const shard = this.index;
    const profileKey = cached.profile.key;
    const sends: OutboxRecord[] = [];
    let profileDirty = outcome.profileChanged;
    const byId = new Map(outcome.touched.map((instance) => [instance.id, instance as StoredInstance]));

    for (const effect of outcome.effects) {
      switch (effect.kind) {
        case 'send': {
          const record: OutboxRecord = {
            seq: this.ctx.nextOutboxSeq(), messageId: effect.messageId, destination: effect.destination,
            journeyId: effect.journeyId, version: effect.version, instanceId: effect.instanceId, step: effect.step,
            profileKey, body: effect.mapped, createdAt: effect.at, attempts: 0, nextAttemptAt: effect.at,
          };
          sends.push(record);
          batch.put(store.outbox, [record.seq], record);
          counters.add(effect.journeyId, effect.version, effect.step, 'sent');
          const instance = byId.get(effect.instanceId);
          if (instance) appendTimeline(instance, { at: effect.at, kind: 'send', step: effect.step, detail: `${effect.destination} ${effect.messageId}` });
          break;
        }
        case 'enter': {
          const instance = byId.get(effect.instanceId);
          if (instance) appendTimeline(instance, { at: effect.at, kind: 'enter', step: effect.step, detail: `entry event ${effect.messageId}` });
          this.trace(cached, batch, { at: effect.at, journeyId: effect.journeyId, version: effect.version, messageId: effect.messageId, entered: true, instanceId: effect.instanceId });
          profileDirty = true;
          break;
        }
        case 'skip':
          this.trace(cached, batch, { at: effect.at, journeyId: effect.journeyId, version: effect.version, messageId: effect.messageId, event: effect.event, entered: false, reason: effect.reason, detail: effect.detail });
          profileDirty = true;
          break;
        case 'restart': {
          const instance = byId.get(effect.instanceId);
          if (instance) appendTimeline(instance, { at: effect.at, kind: 'restart', step: effect.step });
          break;
        }
        case 'exit': {
          const instance = byId.get(effect.instanceId);
          if (instance) appendTimeline(instance, { at: effect.at, kind: 'exit', step: effect.step, detail: effect.reason });
          counters.add(effect.journeyId, effect.version, effect.step, effect.reason);
          batch.put(store.ended, [effect.at, effect.instanceId], shard);
          profileDirty = true;
          break;
        }
      }
    }

    for (const instance of byId.values()) {
      const previous = before.get(instance.id);
      const visitsBefore = previous?.visits ?? {};
      for (const [step, visits] of Object.entries(instance.context.visits)) {
        counters.add(instance.journeyId, instance.version, step, 'entered', visits - (visitsBefore[step] ?? 0));
      }
      if (previous && previous.step !== instance.step && instance.status === 'active') appendTimeline(instance, { at: instance.updatedAt, kind: 'step', step: instance.step });
      if (previous) counters.add(instance.journeyId, instance.version, previous.step, 'active', -1);
      if (instance.status === 'active') counters.add(instance.journeyId, instance.version, instance.step, 'active', 1);
      if (!previous) batch.put(store.journeyInstances, [instance.journeyId, instance.id], instance.status);
      else if (instance.status !== 'active') batch.put(store.journeyInstances, [instance.journeyId, instance.id], instance.status);
      this.reindex(instance, profileKey, batch);
      // Copied now: the batch commits later, and the record's mutable parts may change before.
      batch.put(store.instances, [shard, instance.id], storedCopy(instance));
    }

    if (profileDirty) this.writeProfile(cached, batch);
    cached.lastBatch = batch.id;
    if (sends.length > 0) batch.afterCommit.push(() => this.ctx.deliver(sends));
  }

  /**
   * The due-time index holds each instance's next deadline (the earliest of its timers, which
   * the record holds): one entry per waiting instance, moved when the deadline changes.
   */
  private reindex(instance: StoredInstance, profileKey: string, batch: Batch): void {
    let next: number | undefined;
    if (instance.status === 'active') for (const timer of Object.values(instance.timers)) if (next === undefined || timer.due < next) next = timer.due;
    const previous = instance.indexedDue;
    if (next === previous) return;
    const shard = this.index;
    const id = instance.id;
    if (previous !== undefined) batch.remove(this.ctx.store.timers, [shard, previous, id]);
    if (next !== undefined) batch.put(this.ctx.store.timers, [shard, next, id], profileKey);
    if (next === undefined) delete instance.indexedDue;
    else {
      instance.indexedDue = next;
      this.ctx.timers.scheduled({ shard, profileKey, instanceId: id, due: next });
    }
  }

  private writeProfile(cached: Cached, batch: Batch): void {
    const record = profileToRecord(cached.profile, cached.traceSeq);
    batch.put(this.ctx.store.profiles, [this.index, cached.profile.key], record);
    cached.lastBatch = batch.id;
  }

  private trace(cached: Cached, batch: Batch, entry: Record<string, unknown>): void {
    const slot = cached.traceSeq % TRACE_RING;
    cached.traceSeq++;
    const key = [this.index, cached.profile.key, slot];
    entry.seq = cached.traceSeq;
    const value = entry;
    batch.put(this.ctx.store.traces, key, value);
  }
}
