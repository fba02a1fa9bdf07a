/**
 * What the runtime stores per profile and per instance, and the conversions to the core's
 * in-memory shapes. Instance records keep a short timeline for the API.
 */
import type { InstanceRecord, ProfileState } from '../core/types.js';

export interface ProfileRecord {
  key: string;
  userId?: string;
  anonymousId?: string;
  traits: Record<string, unknown>;
  entered: string[];
  memberOf: string[];
  /** Ids of the active instances, in entry order. */
  active: string[];
  /** Entry traces written so far (the ring slot is traceSeq mod the ring size). */
  traceSeq: number;
}

export interface TimelineEntry {
  at: number;
  kind: 'enter' | 'step' | 'send' | 'restart' | 'exit';
  step?: string;
  detail?: string;
}

export interface StoredInstance extends InstanceRecord {
  timeline: TimelineEntry[];
  /** The deadline under which the due-time index holds this instance (its earliest timer). */
  indexedDue?: number;
}

export const TIMELINE_LIMIT = 200;

export function profileToRecord(profile: ProfileState, traceSeq: number): ProfileRecord {
  const record: ProfileRecord = {
    key: profile.key,
    traits: { ...profile.traits },
    entered: [...profile.entered],
    memberOf: [...profile.memberOf],
    active: profile.instances.map((instance) => instance.id),
    traceSeq,
  };
  if (profile.userId !== undefined) record.userId = profile.userId;
  if (profile.anonymousId !== undefined) record.anonymousId = profile.anonymousId;
  return record;
}

export function profileFromRecord(record: ProfileRecord, instances: InstanceRecord[]): ProfileState {
  const profile: ProfileState = {
    key: record.key,
    traits: record.traits ?? {},
    instances,
    entered: new Set(record.entered),
    memberOf: new Set(record.memberOf),
  };
  if (record.userId !== undefined) profile.userId = record.userId;
  if (record.anonymousId !== undefined) profile.anonymousId = record.anonymousId;
  return profile;
}

export function appendTimeline(instance: StoredInstance, entry: TimelineEntry): void {
  instance.timeline ??= [];
  instance.timeline.push(entry);
  if (instance.timeline.length > TIMELINE_LIMIT) instance.timeline.splice(0, instance.timeline.length - TIMELINE_LIMIT);
}
