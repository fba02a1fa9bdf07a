/**
 * Intake of one Segment-shaped event: checks its shape and names the offending field, then
 * normalises it. `arrival` is the engine's clock when it accepted the event (journey time);
 * it is passed in, never read here.
 */
import type { JourneyEvent } from '../machines/machine-types.js';
import type { IncomingEvent } from './types.js';

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

export class EventShapeError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'EventShapeError';
  }
}

type Raw = Record<string, unknown>;

function isPlainObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(raw: Raw, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && field.endsWith('Id')) return String(value); // Segment accepts numeric ids
  if (typeof value !== 'string') throw new EventShapeError(field, `"${field}" must be a string`);
  return value.length === 0 ? undefined : value;
}

function optionalObject(raw: Raw, field: string): Raw | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new EventShapeError(field, `"${field}" must be an object`);
  return value;
}

/**
 * @param fallbackType the type when the body has none (the route's type on the HTTP API)
 * @param newMessageId makes a messageId when the sender gave none (deterministic in the simulator)
 */
export function normalizeEvent(raw: unknown, arrival: number, newMessageId: () => string, fallbackType?: string): IncomingEvent {
  if (!isPlainObject(raw)) throw new EventShapeError('', 'an event must be a JSON object');
  const type = raw.type ?? fallbackType;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new EventShapeError('type', `"type" must be one of ${EVENT_TYPES.join(', ')}`);
  }
  const userId = optionalString(raw, 'userId');
  const anonymousId = optionalString(raw, 'anonymousId');
  if (userId === undefined && anonymousId === undefined) throw new EventShapeError('userId', 'an event needs "userId" or "anonymousId"');
  let name: string = type;
  if (type === 'track') {
    const event = raw.event;
    if (typeof event !== 'string' || event.length === 0) throw new EventShapeError('event', 'a track event needs "event", a non-empty string');
    name = event;
  }
  const timestampValue = raw.timestamp;
  let timestamp: string;
  if (timestampValue === undefined || timestampValue === null) {
    timestamp = new Date(arrival).toISOString();
  } else if (typeof timestampValue !== 'string' || Number.isNaN(Date.parse(timestampValue))) {
    throw new EventShapeError('timestamp', '"timestamp" must be an ISO-8601 date string');
  } else {
    timestamp = timestampValue;
  }
  const properties = optionalObject(raw, 'properties') ?? {};
  const traits = optionalObject(raw, 'traits');
  const contextTraits = optionalObject(optionalObject(raw, 'context') ?? {}, 'traits');
  const event: IncomingEvent = {
    type: type as IncomingEvent['type'],
    name,
    properties,
    timestamp,
    messageId: optionalString(raw, 'messageId') ?? newMessageId(),
  };
  if (userId !== undefined) event.userId = userId;
  if (anonymousId !== undefined) event.anonymousId = anonymousId;
  const previousId = optionalString(raw, 'previousId');
  if (previousId !== undefined) event.previousId = previousId;
  if (type === 'identify' && (traits ?? contextTraits)) event.traits = { ...(contextTraits ?? {}), ...(traits ?? {}) };
  return event;
}

/** The event as the journey context keeps it: exactly {event, properties, timestamp, messageId}. */
export function journeyEventOf(event: IncomingEvent): JourneyEvent {
  return { event: event.name, properties: event.properties, timestamp: event.timestamp, messageId: event.messageId };
}
