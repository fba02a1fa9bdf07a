/**
 * Moving one instance through its machine and turning what the machine returns into the core's
 * effects: timers with due times, sends with their payloads, the end with its reason.
 */
import type { AnyMachineSnapshot } from 'xstate';
import type { Advanced } from '../machines/advance.js';
import type { CompiledJourney } from '../machines/compiled.js';
import type { MachineEnv, MachineEvent, MachineInput } from '../machines/machine-types.js';
import { buildSend } from './payload.js';
import type { CoreEnv, Effect, InstanceRecord, ProfileState } from './types.js';

export function machineEnv(env: CoreEnv, profile: ProfileState): MachineEnv {
  return { traits: profile.traits, isMember: (audienceId) => env.audiences.isMember(audienceId, profile) };
}

export function startInstance(journey: CompiledJourney, instance: InstanceRecord, input: MachineInput, profile: ProfileState, now: number, effects: Effect[]): void {
  const advanced = journey.runner.start(input);
  applyAdvance(journey, instance, profile, advanced, now, effects);
}

/** Offers an event to an instance; returns whether the machine took it. */
export function stepInstance(journey: CompiledJourney, instance: InstanceRecord, profile: ProfileState, event: MachineEvent, now: number, effects: Effect[]): boolean {
  const snapshot = snapshotOf(journey, instance);
  const advanced = journey.runner.next(snapshot, event);
  if (!advanced.changed) return false;
  applyAdvance(journey, instance, profile, advanced, now, effects);
  return true;
}

/**
 * The XState snapshot of a record, rebuilt from its state value and context. Not cached: an
 * instance waits far longer than it takes to rebuild, and a cache (a WeakMap, or a field) costs
 * heap per waiting instance and garbage-collector time.
 */
function snapshotOf(journey: CompiledJourney, instance: InstanceRecord): AnyMachineSnapshot {
  return journey.runner.restore(instance.state, instance.context);
}

function applyAdvance(journey: CompiledJourney, instance: InstanceRecord, profile: ProfileState, advanced: Advanced, now: number, effects: Effect[]): void {
  const { snapshot } = advanced;
  instance.state = snapshot.value;
  instance.context = snapshot.context;
  instance.updatedAt = now;
  instance.step = snapshot.context.at;
  // Effects are built as literals (no object spread): this runs for every transition.
  const { journeyId, version, id: instanceId, profileKey } = instance;
  for (const effect of advanced.effects) {
    switch (effect.kind) {
      case 'timer': {
        const due = now + effect.delayMs;
        instance.timers[effect.id] = { due, eventType: effect.eventType };
        effects.push({ kind: 'timer', at: now, journeyId, version, instanceId, profileKey, timerId: effect.id, due });
        break;
      }
      case 'cancel': {
        const timer = instance.timers[effect.id];
        if (timer) {
          delete instance.timers[effect.id];
          effects.push({ kind: 'cancel', at: now, journeyId, version, instanceId, profileKey, timerId: effect.id, due: timer.due });
        }
        break;
      }
      case 'send': {
        const built = buildSend(journey, instance, profile, effect.params, now);
        effects.push({
          kind: 'send', at: now, journeyId, version, instanceId, profileKey, step: effect.params.step,
          destination: effect.params.send.destination, messageId: built.messageId, payload: built.payload, mapped: built.mapped,
        });
        break;
      }
      case 'end':
        instance.status = effect.reason;
        instance.endedAt = now;
        effects.push({ kind: 'exit', at: now, journeyId, version, instanceId, profileKey, step: instance.step, reason: effect.reason });
        break;
    }
  }
}
