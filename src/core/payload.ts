/**
 * The Segment-shaped payload of a send (payload.md). Fixed when the send enters the outbox:
 * its timestamp is the moment the send was produced and the traits are the profile's then.
 */
import type { SendParams } from '../machines/compile.js';
import type { CompiledJourney } from '../machines/compiled.js';
import { messageIdOf } from '../machines/hashing.js';
import { mapPayload } from '../mapping/evaluate.js';
import { LIBRARY } from '../version.js';
import type { InstanceRecord, ProfileState, SendPayload } from './types.js';

export interface BuiltSend {
  messageId: string;
  payload: SendPayload;
  /** What the destination receives: the payload after the step's mapping (the payload itself without one). */
  mapped: SendPayload;
}

export function buildSend(journey: CompiledJourney, instance: InstanceRecord, profile: ProfileState, params: SendParams, now: number): BuiltSend {
  const messageId = messageIdOf(instance.id, params.step, params.visit);
  const properties: Record<string, unknown> = {
    journey_context: params.journeyContext,
    journey_metadata: {
      journey_id: journey.definition.id,
      journey_version: journey.version,
      instance_id: instance.id,
      step_id: params.step,
      step_key: `${journey.definition.id}/v${journey.version}/${params.step}`,
    },
  };
  for (const trait of params.send.traits ?? []) {
    const value = profile.traits[trait];
    if (value !== undefined) properties[trait] = value;
  }
  const payload: SendPayload = { type: 'track', event: params.send.eventName };
  if (profile.userId !== undefined) payload.userId = profile.userId;
  if (profile.anonymousId !== undefined) payload.anonymousId = profile.anonymousId;
  if (profile.userId === undefined && profile.anonymousId === undefined) payload.userId = profile.key;
  payload.messageId = messageId;
  payload.timestamp = new Date(now).toISOString();
  payload.properties = properties;
  payload.context = { library: { ...LIBRARY } };
  const mapped = params.send.mapping ? mapPayload(params.send.mapping, payload) : payload;
  return { messageId, payload, mapped };
}
