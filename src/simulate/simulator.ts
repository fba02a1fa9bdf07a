/**
 * The engine on a simulated clock, all in memory: the same core the runtime drives, with time
 * taken from the events' timestamps. Timers due at or before an event's arrival fire before it.
 */
import { MemoryCatalog } from '../core/catalog.js';
import { fireTimer, processEvent, type Outcome } from '../core/process-event.js';
import type { CoreEnv, Effect, IncomingEvent, ProfileState } from '../core/types.js';
import type { JourneyDefinition } from '../machines/types.js';
import { AudienceBook, type AudienceDefinition } from '../profiles/audiences.js';
import { linkOf, MemoryLinks, profileKeyOf } from '../profiles/identity.js';
import { newProfile } from '../profiles/traits.js';
import { TimerQueue } from './timer-queue.js';

export interface SimulatorOptions {
  journeys: JourneyDefinition[];
  audiences?: AudienceDefinition[];
  shards?: number;
  maxActiveInstancesPerProfile?: number;
}

/** A duplicate messageId: the event had no effect. */
export interface Duplicate {
  kind: 'duplicate';
  at: number;
  profileKey: string;
  messageId: string;
  event: string;
}

export class Simulator {
  readonly catalog = new MemoryCatalog();
  readonly audiences: AudienceBook;
  readonly links = new MemoryLinks();
  readonly profiles = new Map<string, ProfileState>();
  private readonly seen = new Set<string>();
  private readonly timers = new TimerQueue();
  private readonly env: CoreEnv;
  /** The simulated clock: the time of the last event or timer handled. */
  now = Number.NEGATIVE_INFINITY;

  constructor(options: SimulatorOptions) {
    for (const definition of options.journeys) this.catalog.publish(definition, 1);
    this.audiences = new AudienceBook(options.audiences ?? []);
    this.env = {
      catalog: this.catalog,
      audiences: this.audiences,
      config: { shards: options.shards ?? 64, maxActiveInstancesPerProfile: options.maxActiveInstancesPerProfile ?? 25 },
    };
  }

  /** Fires every timer due at or before `arrival`, then applies the event at `arrival`. */
  ingest(event: IncomingEvent, arrival: number): (Effect | Duplicate)[] {
    const out: (Effect | Duplicate)[] = this.advanceTo(arrival);
    this.now = Math.max(this.now, arrival);
    const profileKey = profileKeyOf(event, this.links);
    if (this.seen.has(event.messageId)) {
      out.push({ kind: 'duplicate', at: arrival, profileKey, messageId: event.messageId, event: event.name });
      return out;
    }
    this.seen.add(event.messageId);
    const link = linkOf(event);
    if (link) this.links.link(link.anonymousId, link.userId);
    const outcome = processEvent(this.env, this.profile(profileKey), event, arrival);
    out.push(...this.schedule(outcome));
    return out;
  }

  /** Fires, in order, every timer due at or before `time`. */
  advanceTo(time: number): Effect[] {
    const out: Effect[] = [];
    for (let next = this.timers.peek(); next && next.due <= time; next = this.timers.peek()) {
      this.timers.pop();
      this.now = Math.max(this.now, next.due);
      const profile = this.profiles.get(next.profileKey);
      if (!profile) continue;
      out.push(...this.schedule(fireTimer(this.env, profile, next.instanceId, next.timerId, next.due)));
    }
    return out;
  }

  /** Runs the clock on until no timer is left, or up to `until`. */
  drain(until = Number.POSITIVE_INFINITY): Effect[] {
    return this.advanceTo(until);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private profile(key: string): ProfileState {
    let profile = this.profiles.get(key);
    if (!profile) {
      profile = newProfile(key);
      this.profiles.set(key, profile);
    }
    return profile;
  }

  private schedule(outcome: Outcome): Effect[] {
    for (const effect of outcome.effects) {
      if (effect.kind === 'timer') {
        this.timers.push({ due: effect.due, profileKey: effect.profileKey, instanceId: effect.instanceId, timerId: effect.timerId });
      }
    }
    return outcome.effects;
  }
}
