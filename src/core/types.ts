/**
 * The data the deterministic core works on: one profile's state, the published journeys, and the
 * effects it returns. The core reads no clock (`now` is passed in) and does no I/O; the simulator
 * and the runtime both drive it.
 */
import type { CompiledJourney } from '../machines/compiled.js';
import type { EndReason, InstanceContext, JourneyEvent } from '../machines/machine-types.js';

/** An accepted event, normalised at intake (src/core/event.ts). */
export interface IncomingEvent {
  type: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
  /** The event name used for entry and routing: `event` for track, the type name otherwise. */
  name: string;
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  properties: Record<string, unknown>;
  traits?: Record<string, unknown>;
  /** As sent (ISO string), or the arrival time when the sender gave none. */
  timestamp: string;
  messageId: string;
}

export interface TimerRecord {
  due: number;
  eventType: string;
}

export type InstanceStatus = 'active' | EndReason;

/**
 * An instance as stored. The XState snapshot is rebuilt from `state` (the machine's state value)
 * and `context`, so a record stays readable across upgrades of XState and of this project.
 */
export interface InstanceRecord {
  id: string;
  journeyId: string;
  version: number;
  profileKey: string;
  /** The re-entry key: journey, profile and the unique identifier's value; spans versions. */
  key: string;
  identifier?: string | number;
  /** The messageId of the event that started it: an instance is never offered its own entry event. */
  entryMessageId: string;
  status: InstanceStatus;
  step: string;
  state: unknown;
  context: InstanceContext;
  timers: Record<string, TimerRecord>;
  enteredAt: number;
  updatedAt: number;
  endedAt?: number;
}

export interface ProfileState {
  key: string;
  userId?: string;
  anonymousId?: string;
  traits: Record<string, unknown>;
  /** Active instances of this profile, across journeys, in the order they entered. */
  instances: InstanceRecord[];
  /** Journey ids this profile ever entered (the `once` ledger). */
  entered: Set<string>;
  /** Managed audiences this profile was added to. */
  memberOf: Set<string>;
}

/** The published journeys, as the core sees them. */
export interface Catalog {
  /** Versions that accept entries, whose entry event is `name`. */
  entriesFor(name: string): readonly CompiledJourney[];
  /** A version by id and number (running instances stay pinned to theirs). */
  version(journeyId: string, version: number): CompiledJourney | undefined;
}

export interface Audiences {
  isMember(audienceId: string, profile: ProfileState): boolean;
}

export interface CoreConfig {
  shards: number;
  maxActiveInstancesPerProfile: number;
}

export interface CoreEnv {
  catalog: Catalog;
  audiences: Audiences;
  config: CoreConfig;
}

/** Why an event did not enter a journey; queryable through entry traces. */
export type SkipReason =
  | 'filter_failed'
  | 'not_in_audience'
  | 'already_active'
  | 'once_ledger'
  | 'missing_identifier'
  | 'invalid_identifier'
  | 'instance_cap';

export type SendPayload = Record<string, unknown>;

export interface Base {
  at: number;
  journeyId: string;
  version: number;
  instanceId: string;
  profileKey: string;
}

export type Effect =
  | (Base & { kind: 'enter'; step: string; messageId: string })
  | (Base & { kind: 'send'; step: string; destination: string; messageId: string; payload: SendPayload; mapped: SendPayload })
  | (Base & { kind: 'restart'; step: string })
  | (Base & { kind: 'exit'; step: string; reason: EndReason })
  | (Base & { kind: 'timer'; timerId: string; due: number })
  | (Base & { kind: 'cancel'; timerId: string; due: number })
  | { kind: 'skip'; at: number; journeyId: string; version: number; profileKey: string; messageId: string; event: string; reason: SkipReason; detail: string };

export type { JourneyEvent };
