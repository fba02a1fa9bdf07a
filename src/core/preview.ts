/**
 * Preview (http.md): for each send step of a journey, the payload it would send (after mapping)
 * for a given entry event and traits — built as a real send would be, nothing sent.
 */
import { compileJourney } from '../machines/compiled.js';
import type { JourneyDefinition } from '../machines/types.js';
import { instanceIdOf } from '../machines/hashing.js';
import { newProfile } from '../profiles/traits.js';
import { journeyEventOf } from './event.js';
import { buildSend } from './payload.js';
import type { IncomingEvent, InstanceRecord } from './types.js';

export interface PreviewedSend {
  step: string;
  destination: string;
  messageId: string;
  payload: Record<string, unknown>;
}

export function previewSends(definition: JourneyDefinition, version: number, event: IncomingEvent, profileKey: string, traits: Record<string, unknown>, shards: number, now: number): PreviewedSend[] {
  const journey = compileJourney(definition, version);
  const profile = newProfile(profileKey);
  profile.traits = { ...traits };
  if (event.userId !== undefined) profile.userId = event.userId;
  if (event.anonymousId !== undefined) profile.anonymousId = event.anonymousId;
  const id = instanceIdOf(definition.id, version, profileKey, event.messageId, shards);
  const journeyContext = { [definition.entry.event]: journeyEventOf(event) };
  const instance: InstanceRecord = {
    id, journeyId: definition.id, version, profileKey, key: '', entryMessageId: event.messageId, status: 'active', step: definition.start,
    state: definition.start, context: { instanceId: id, profileKey, journey: journeyContext, visits: {}, at: definition.start, restarts: 0 }, timers: {}, enteredAt: now, updatedAt: now,
  };
  const sends: PreviewedSend[] = [];
  for (const step of definition.steps) {
    if (step.type !== 'send') continue;
    const built = buildSend(journey, instance, profile, { step: step.id, visit: 1, journeyContext, send: step }, now);
    sends.push({ step: step.id, destination: step.destination, messageId: built.messageId, payload: built.mapped });
  }
  return sends;
}
