/**
 * One event for one profile, in journey.md's processing order: (deduplication is the caller's,
 * before this) traits, exit rules, hold-until routing (and restartOnEntryEvent), entry. And one
 * due timer. Both mutate the profile state they are given and return the effects as data.
 */
import type { CompiledJourney } from '../machines/compiled.js';
import { exitEventType, RESTART_EVENT, trackEventType } from '../machines/compile.js';
import { matchesFilters } from '../machines/filters.js';
import { readPath } from '../machines/property-path.js';
import { applyTraits, noteIds } from '../profiles/traits.js';
import { machineEnv, stepInstance } from './advance-instance.js';
import { decideEntry, enter, identifierOf, passesEntryConditions } from './entry.js';
import { journeyEventOf } from './event.js';
import type { CoreEnv, Effect, IncomingEvent, InstanceRecord, ProfileState } from './types.js';

export interface Outcome {
  effects: Effect[];
  /** Instances created or changed by this step (ended ones included, with their end status). */
  touched: InstanceRecord[];
  /** Whether the profile's own record (traits, ids, ledger) changed. */
  profileChanged: boolean;
}

export function processEvent(env: CoreEnv, profile: ProfileState, event: IncomingEvent, now: number): Outcome {
  const effects: Effect[] = [];
  const touched = new Set<InstanceRecord>();
  let profileChanged = noteIds(profile, event.userId, event.anonymousId);
  if (event.type === 'identify') profileChanged = applyTraits(profile, event.traits) || profileChanged;

  const journeyEvent = journeyEventOf(event);
  const machineEvent = (type: string) => ({ type, event: journeyEvent, env: machineEnv(env, profile) });

  for (const instance of [...profile.instances]) {
    const journey = env.catalog.version(instance.journeyId, instance.version);
    if (!journey || instance.status !== 'active') continue;
    const rule = matchingExitRule(journey, instance, event);
    if (rule >= 0 && stepInstance(journey, instance, profile, machineEvent(exitEventType(rule)), now, effects)) touched.add(instance);
  }

  for (const instance of [...profile.instances]) {
    const journey = env.catalog.version(instance.journeyId, instance.version);
    if (!journey || instance.status !== 'active' || instance.entryMessageId === event.messageId) continue;
    if (!sameIdentifier(journey, instance, event)) continue;
    if (journey.awaited.get(instance.step)?.has(event.name)) {
      if (stepInstance(journey, instance, profile, machineEvent(trackEventType(event.name)), now, effects)) touched.add(instance);
    } else if (isRestart(env, journey, instance, event, profile)) {
      if (stepInstance(journey, instance, profile, machineEvent(RESTART_EVENT), now, effects)) {
        touched.add(instance);
        effects.push({ at: now, kind: 'restart', journeyId: instance.journeyId, version: instance.version, instanceId: instance.id, profileKey: profile.key, step: instance.step });
      }
    }
  }

  for (const journey of env.catalog.entriesFor(event.name)) {
    const decision = decideEntry(env, journey, event, profile);
    if (decision.enter) {
      touched.add(enter(env, journey, event, profile, decision, now, effects));
      profileChanged = true;
    } else {
      const { definition, version } = journey;
      effects.push({ at: now, kind: 'skip', journeyId: definition.id, version, profileKey: profile.key, messageId: event.messageId, event: event.name, reason: decision.reason, detail: decision.detail });
    }
  }

  pruneEnded(profile);
  return { effects, touched: [...touched], profileChanged };
}

/** A due timer of an instance. A timer that was cancelled or moved (restart) is ignored. */
export function fireTimer(env: CoreEnv, profile: ProfileState, instanceId: string, timerId: string, now: number): Outcome {
  const effects: Effect[] = [];
  const instance = profile.instances.find((candidate) => candidate.id === instanceId);
  const timer = instance?.timers[timerId];
  if (!instance || !timer || timer.due > now || instance.status !== 'active') return { effects, touched: [], profileChanged: false };
  const journey = env.catalog.version(instance.journeyId, instance.version);
  if (!journey) return { effects, touched: [], profileChanged: false };
  delete instance.timers[timerId];
  stepInstance(journey, instance, profile, { type: timer.eventType, env: machineEnv(env, profile) }, now, effects);
  pruneEnded(profile);
  return { effects, touched: [instance], profileChanged: false };
}

/** Ends an instance from outside (archive with `terminate`): no exit sends. */
export function terminateInstance(env: CoreEnv, profile: ProfileState, instanceId: string, now: number): Outcome {
  const effects: Effect[] = [];
  const instance = profile.instances.find((candidate) => candidate.id === instanceId && candidate.status === 'active');
  const journey = instance && env.catalog.version(instance.journeyId, instance.version);
  if (!instance || !journey) return { effects, touched: [], profileChanged: false };
  stepInstance(journey, instance, profile, { type: 'jrn.terminate' }, now, effects);
  pruneEnded(profile);
  return { effects, touched: [instance], profileChanged: false };
}

function matchingExitRule(journey: CompiledJourney, instance: InstanceRecord, event: IncomingEvent): number {
  const rules = journey.definition.exitRules ?? [];
  return rules.findIndex((rule) =>
    rule.event === event.name &&
    matchesFilters(rule.filters, event.properties) &&
    (!rule.matchUniqueIdentifier || sameIdentifier(journey, instance, event)));
}

/** With a uniqueIdentifier, an event reaches only the instance whose entry carried the same value. */
function sameIdentifier(journey: CompiledJourney, instance: InstanceRecord, event: IncomingEvent): boolean {
  const path = journey.definition.entry.uniqueIdentifier;
  return path === undefined || readPath(event.properties, path) === instance.identifier;
}

function isRestart(env: CoreEnv, journey: CompiledJourney, instance: InstanceRecord, event: IncomingEvent, profile: ProfileState): boolean {
  const step = journey.steps.get(instance.step);
  if (step?.type !== 'hold_until' || !step.restartOnEntryEvent || event.name !== journey.definition.entry.event) return false;
  if (journey.definition.entry.uniqueIdentifier !== undefined && identifierOf(journey, event.properties).value !== instance.identifier) return false;
  return passesEntryConditions(env, journey, event, profile) === undefined;
}

function pruneEnded(profile: ProfileState): void {
  if (profile.instances.some((instance) => instance.status !== 'active')) {
    profile.instances = profile.instances.filter((instance) => instance.status === 'active');
  }
}
