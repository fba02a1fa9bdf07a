/**
 * Entry (journey.md "Entry"): whether an event starts a new instance of a journey, and if not,
 * why. Checks in the contract's order: filters, audience, re-entry rule, per-profile cap.
 */
import type { CompiledJourney } from '../machines/compiled.js';
import { firstFailingFilter } from '../machines/filters.js';
import { instanceIdOf } from '../machines/hashing.js';
import { readPath } from '../machines/property-path.js';
import { machineEnv, startInstance } from './advance-instance.js';
import { journeyEventOf } from './event.js';
import type { CoreEnv, Effect, IncomingEvent, InstanceRecord, ProfileState, SkipReason } from './types.js';

export type EntryDecision = { enter: true; key: string; identifier?: string | number } | { enter: false; reason: SkipReason; detail: string };

/** The re-entry key; it spans versions, so an active v1 instance blocks a v2 entry. */
export function instanceKeyOf(journeyId: string, profileKey: string, identifier: string | number | undefined): string {
  return identifier === undefined ? `${journeyId}\n${profileKey}` : `${journeyId}\n${profileKey}\n${typeof identifier}:${identifier}`;
}

/** The value of the journey's unique identifier in an event, if it is a string or a number. */
export function identifierOf(journey: CompiledJourney, properties: Record<string, unknown>): { value?: string | number; error?: SkipReason } {
  const path = journey.definition.entry.uniqueIdentifier;
  if (path === undefined) return {};
  const value = readPath(properties, path);
  if (value === undefined || value === null) return { error: 'missing_identifier' };
  if (typeof value !== 'string' && typeof value !== 'number') return { error: 'invalid_identifier' };
  return { value };
}

/** Filters and audience: what a repeat of the entry event must also pass to restart a hold. */
export function passesEntryConditions(env: CoreEnv, journey: CompiledJourney, event: IncomingEvent, profile: ProfileState): { reason: SkipReason; detail: string } | undefined {
  const { entry } = journey.definition;
  const failing = firstFailingFilter(entry.filters, event.properties);
  if (failing) return { reason: 'filter_failed', detail: `filter \`${failing.property}\` failed` };
  if (entry.audience !== undefined && !env.audiences.isMember(entry.audience, profile)) {
    return { reason: 'not_in_audience', detail: `not in audience \`${entry.audience}\`` };
  }
  return undefined;
}

export function decideEntry(env: CoreEnv, journey: CompiledJourney, event: IncomingEvent, profile: ProfileState): EntryDecision {
  const { definition } = journey;
  const failed = passesEntryConditions(env, journey, event, profile);
  if (failed) return { enter: false, ...failed };
  if (definition.entry.reentry === 'once' && profile.entered.has(definition.id)) {
    return { enter: false, reason: 'once_ledger', detail: `already entered \`${definition.id}\`, which admits a profile once` };
  }
  const identifier = identifierOf(journey, event.properties);
  if (identifier.error) {
    const what = identifier.error === 'missing_identifier' ? 'lacks' : 'has a value that is not a string or number for';
    return { enter: false, reason: identifier.error, detail: `event ${what} the unique identifier \`${definition.entry.uniqueIdentifier}\`` };
  }
  const key = instanceKeyOf(definition.id, profile.key, identifier.value);
  const active = profile.instances.find((instance) => instance.key === key && instance.status === 'active');
  if (active) return { enter: false, reason: 'already_active', detail: `instance ${active.id} is active for the same key` };
  const activeCount = profile.instances.filter((instance) => instance.status === 'active').length;
  if (activeCount >= env.config.maxActiveInstancesPerProfile) {
    return { enter: false, reason: 'instance_cap', detail: `profile has ${activeCount} active instances, the cap is ${env.config.maxActiveInstancesPerProfile}` };
  }
  return identifier.value === undefined ? { enter: true, key } : { enter: true, key, identifier: identifier.value };
}

/** Creates the instance and runs it to its first wait (or its end). */
export function enter(env: CoreEnv, journey: CompiledJourney, event: IncomingEvent, profile: ProfileState, decision: EntryDecision & { enter: true }, now: number, effects: Effect[]): InstanceRecord {
  const { definition, version } = journey;
  const id = instanceIdOf(definition.id, version, profile.key, event.messageId, env.config.shards);
  const instance: InstanceRecord = {
    id,
    journeyId: definition.id,
    version,
    profileKey: profile.key,
    key: decision.key,
    status: 'active',
    step: definition.start,
    state: definition.start,
    context: { instanceId: id, profileKey: profile.key, journey: {}, visits: {}, at: definition.start, restarts: 0 },
    entryMessageId: event.messageId,
    timers: {},
    enteredAt: now,
    updatedAt: now,
  };
  if (decision.identifier !== undefined) instance.identifier = decision.identifier;
  profile.instances.push(instance);
  profile.entered.add(definition.id);
  effects.push({ at: now, kind: 'enter', journeyId: definition.id, version, instanceId: id, profileKey: profile.key, step: definition.start, messageId: event.messageId });
  const input = { instanceId: id, profileKey: profile.key, entryEvent: journeyEventOf(event), env: machineEnv(env, profile) };
  startInstance(journey, instance, input, profile, now, effects);
  return instance;
}
