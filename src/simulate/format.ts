/**
 * The simulator's output lines (architecture.md, `journeys simulate`): one JSON object per
 * effect, keys in a fixed order so that the same inputs give byte-identical output.
 */
import type { Effect } from '../core/types.js';
import type { Duplicate } from './simulator.js';

export type Line = Record<string, unknown>;

export function lineOf(effect: Effect | Duplicate, explain: boolean): Line | undefined {
  const at = new Date(effect.at).toISOString();
  switch (effect.kind) {
    case 'enter':
      return { at, kind: 'enter', journey: effect.journeyId, version: effect.version, instance: effect.instanceId, userId: effect.profileKey, step: effect.step };
    case 'send':
      return { at, kind: 'send', journey: effect.journeyId, version: effect.version, instance: effect.instanceId, userId: effect.profileKey, step: effect.step, destination: effect.destination, payload: effect.mapped };
    case 'restart':
      return { at, kind: 'restart', journey: effect.journeyId, version: effect.version, instance: effect.instanceId, userId: effect.profileKey, step: effect.step };
    case 'exit':
      return { at, kind: 'exit', journey: effect.journeyId, version: effect.version, instance: effect.instanceId, userId: effect.profileKey, step: effect.step, reason: effect.reason };
    case 'skip':
      return explain
        ? { at, kind: 'skip', journey: effect.journeyId, version: effect.version, userId: effect.profileKey, event: effect.event, messageId: effect.messageId, reason: effect.reason, detail: effect.detail }
        : undefined;
    case 'duplicate':
      return explain
        ? { at, kind: 'skip', userId: effect.profileKey, event: effect.event, messageId: effect.messageId, reason: 'duplicate', detail: 'messageId already seen; the event has no effect' }
        : undefined;
    default:
      return undefined; // timers are the simulator's business, not output
  }
}
