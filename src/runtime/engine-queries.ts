/**
 * What the engine answers about itself: journeys with per-step counts, instances and their
 * timelines, profiles, entry traces, audiences, dead letters. Reads only, except for the
 * audience and profile management calls at the end.
 */
import type { CoreEnv, InstanceStatus, ProfileState } from '../core/types.js';
import type { Dispatcher } from '../destinations/dispatcher.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import type { DeadLetter, OutboxRecord } from '../destinations/types.js';
import { JourneysError } from '../errors.js';
import { shardOf } from '../machines/hashing.js';
import type { AudienceBook, AudienceDefinition } from '../profiles/audiences.js';
import type { Clock } from './clock.js';
import type { Committer } from './committer.js';
import type { Counters } from './counters.js';
import type { JourneyRegistry, JourneySummary } from './journey-registry.js';
import type { StoredInstance } from './records.js';
import type { Shard } from './shard.js';
import type { Store } from './store.js';

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface StepCounts {
  id: string;
  type: string;
  entered: number;
  active: number;
  completed: number;
  sent: number;
  failed: number;
}

/** One entry decision: an event that was a candidate for a journey, and whether it entered or why not. */
export interface EntryTrace {
  at: string;
  seq: number;
  journeyId: string;
  version: number;
  messageId: string;
  event?: string;
  entered: boolean;
  instanceId?: string;
  reason?: string;
  detail?: string;
}

export interface EngineParts {
  store: Store;
  registry: JourneyRegistry;
  committer: Committer;
  counters: Counters;
  audiences: AudienceBook;
  destinations: DestinationRegistry;
  dispatcher: Dispatcher;
  core: CoreEnv;
  clock: Clock;
}

export class EngineQueries {
  protected readonly shards: Shard[] = [];
  protected readonly store: Store;
  protected readonly registry: JourneyRegistry;
  protected readonly committer: Committer;
  protected readonly counters: Counters;
  readonly audiences: AudienceBook;
  readonly destinations: DestinationRegistry;
  protected readonly dispatcher: Dispatcher;
  protected readonly core: CoreEnv;
  protected readonly clock: Clock;

  constructor(parts: EngineParts) {
    this.clock = parts.clock;
    this.store = parts.store;
    this.registry = parts.registry;
    this.committer = parts.committer;
    this.counters = parts.counters;
    this.audiences = parts.audiences;
    this.destinations = parts.destinations;
    this.dispatcher = parts.dispatcher;
    this.core = parts.core;
  }

  /** Cluster mode: only the shards this worker holds are answered here (the data directory may hold others' old state). */
  protected visible(_shard: number): boolean {
    return true;
  }

  listJourneys(): JourneySummary[] {
    return this.registry.ids().map((id) => this.registry.summary(id)!).filter(Boolean);
  }

  /** A journey with, per version, the per-step counts (entered, active now, completed, sent, failed). */
  getJourney(id: string) {
    const summary = this.registry.summary(id);
    if (!summary) throw new JourneysError('JRN_NOT_FOUND', `No journey "${id}".`);
    const versions = summary.versions.map((stored) => {
      const counts = this.counters.read(id, stored.version);
      const steps: StepCounts[] = stored.definition.steps.map((step) => {
        const row = counts[step.id] ?? {};
        return { id: step.id, type: step.type, entered: row.entered ?? 0, active: row.active ?? 0, completed: row.completed ?? 0, sent: row.sent ?? 0, failed: row.failed ?? 0 };
      });
      return { ...stored, steps };
    });
    const latest = versions.at(-1);
    return { ...summary, versions, definition: latest?.definition ?? summary.draft, steps: latest?.steps ?? [] };
  }

  listInstances(journeyId: string, query: { userId?: string; status?: InstanceStatus; limit?: number; cursor?: string } = {}): Page<StoredInstance> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const items: StoredInstance[] = [];
    let cursor: string | undefined;
    const start = query.cursor ? [journeyId, query.cursor] : [journeyId];
    for (const { key, value } of this.store.journeyInstances.getRange({ start, end: [journeyId, '\uffff'] })) {
      const instanceId = (key as [string, string])[1];
      if (query.cursor && instanceId === query.cursor) continue;
      if (query.status && value !== query.status) continue;
      if (!this.visible(Number(instanceId.split('-')[0]))) continue;
      const instance = this.getInstanceRecord(instanceId);
      if (!instance) continue;
      if (query.userId && instance.profileKey !== query.userId) continue;
      if (items.length === limit) {
        cursor = items.at(-1)!.id;
        break;
      }
      items.push(instance);
    }
    return cursor ? { items, cursor } : { items };
  }

  getInstanceRecord(instanceId: string): StoredInstance | undefined {
    const shard = Number(instanceId.split('-')[0]);
    if (!Number.isInteger(shard) || !this.shards[shard] || !this.visible(shard)) return undefined;
    return this.store.instances.get([shard, instanceId]) as StoredInstance | undefined;
  }

  /** Version, current step, status, context, timers, and the timeline of transitions and sends. */
  getInstance(instanceId: string) {
    const instance = this.getInstanceRecord(instanceId);
    if (!instance) throw new JourneysError('JRN_NOT_FOUND', `No instance "${instanceId}".`);
    const { context, timers, timeline, state: _state, ...rest } = instance;
    return {
      ...rest,
      context: context.journey,
      visits: context.visits,
      timers: Object.entries(timers).map(([id, timer]) => ({ id, due: new Date(timer.due).toISOString() })),
      timeline: (timeline ?? []).map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
    };
  }

  protected profileShard(key: string): Shard {
    return this.shards[shardOf(key, this.shards.length)]!;
  }

  /** Traits, audiences and active instances of a profile (by its key). */
  getProfile(key: string) {
    const profile = this.profileShard(key).peek(key);
    if (!profile) throw new JourneysError('JRN_NOT_FOUND', `No profile "${key}".`);
    return {
      key: profile.key,
      userId: profile.userId,
      anonymousId: profile.anonymousId,
      traits: profile.traits,
      audiences: this.audiences.membership(profile),
      instances: profile.instances.map((instance) => ({ id: instance.id, journeyId: instance.journeyId, version: instance.version, step: instance.step, enteredAt: new Date(instance.enteredAt).toISOString() })),
    };
  }

  /** The latest entry decisions for a profile, newest first. */
  getTraces(key: string, query: { journey?: string; limit?: number } = {}): EntryTrace[] {
    const shard = shardOf(key, this.shards.length);
    const traces: Record<string, unknown>[] = [];
    for (const { value } of this.store.traces.getRange({ start: [shard, key], end: [shard, key, Number.MAX_SAFE_INTEGER] })) traces.push(value as Record<string, unknown>);
    return traces
      .filter((trace) => !query.journey || trace.journeyId === query.journey)
      .sort((a, b) => (b.seq as number) - (a.seq as number))
      .slice(0, query.limit ?? 20)
      .map((trace) => ({ ...trace, at: new Date(trace.at as number).toISOString() }) as EntryTrace);
  }

  listDeadLetters(query: { destination?: string; limit?: number; cursor?: string } = {}): Page<DeadLetter> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const items: DeadLetter[] = [];
    let cursor: string | undefined;
    const start = query.cursor ? [Number(query.cursor) + 1] : undefined;
    for (const { value } of this.store.deadLetters.getRange(start ? { start } : {})) {
      const dead = value as DeadLetter;
      if (query.destination && dead.destination !== query.destination) continue;
      if (items.length === limit) {
        cursor = String(items.at(-1)!.id);
        break;
      }
      items.push(dead);
    }
    return cursor ? { items, cursor } : { items };
  }

  /** Puts a dead letter back into the outbox, attempts reset; the same messageId goes out again. */
  async redrive(id: number): Promise<OutboxRecord> {
    const dead = this.store.deadLetters.get([id]) as DeadLetter | undefined;
    if (!dead) throw new JourneysError('JRN_NOT_FOUND', `No dead letter ${id}.`);
    const { id: _id, failedAt: _failedAt, lastStatus: _status, lastBody: _body, ...record } = dead;
    const now = this.clock.now();
    const revived: OutboxRecord = { ...record, attempts: 0, nextAttemptAt: now, createdAt: now };
    const batch = this.committer.batch;
    batch.remove(this.store.deadLetters, [id]);
    batch.put(this.store.outbox, [revived.seq], revived);
    batch.afterCommit.push(() => this.dispatcher.enqueue(revived));
    await batch.wait();
    return revived;
  }

  async redriveAll(destination?: string): Promise<number> {
    let count = 0;
    for (const dead of this.listDeadLetters({ limit: 500, ...(destination ? { destination } : {}) }).items) {
      await this.redrive(dead.id);
      count++;
    }
    return count;
  }

  listAudiences(): AudienceDefinition[] {
    return this.audiences.ids().map((id) => this.audiences.get(id)!);
  }

  async putAudience(audience: AudienceDefinition): Promise<void> {
    this.audiences.put(audience);
    await this.store.audiences.put([audience.id], audience);
  }

  /** Adds or removes profiles of a managed audience. */
  async setMembers(audienceId: string, profileKeys: string[], member: boolean): Promise<void> {
    if (!this.audiences.get(audienceId)) throw new JourneysError('JRN_NOT_FOUND', `No audience "${audienceId}".`);
    for (const key of profileKeys) {
      this.profileShard(key).update(key, (profile: ProfileState) => {
        if (member) profile.memberOf.add(audienceId);
        else profile.memberOf.delete(audienceId);
      });
    }
    await this.committer.batch.wait();
  }

  /** Outbox depth: sends waiting for delivery or a retry. */
  outboxDepth(): number {
    return this.dispatcher.depth;
  }
}
