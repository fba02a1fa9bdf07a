/**
 * The message on a shard subject (`journeys.shard.<n>`): JSON `{ v: 1, event, profileKey,
 * arrival, link? }`, where `event` is the normalized event (src/core/event.ts), `profileKey`
 * the key it was routed by and `arrival` the intake time in ms (timers and `within` windows use
 * it, so a replay decides as the first run did). The header `Nats-Msg-Id` is
 * `<shard>.<messageId>`: JetStream drops a repeat within its duplicate window, the engine's own
 * dedupe later ones.
 *
 * Decoding checks the shape and names the first bad field: a bad message from a foreign
 * producer is skipped with a warning, it never stops a shard.
 */
import type { IncomingEvent } from '../core/types.js';
import type { ShardMessage } from './bus.js';

export const WIRE_VERSION = 1;

export class ShardMessageError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ShardMessageError';
  }
}

export function shardMsgId(shard: number, messageId: string): string {
  return `${shard}.${messageId}`;
}

export function encodeShardMessage(message: ShardMessage): Uint8Array {
  const wire: Record<string, unknown> = { v: WIRE_VERSION, event: message.event, profileKey: message.profileKey, arrival: message.arrival };
  if (message.link) wire.link = message.link;
  return new TextEncoder().encode(JSON.stringify(wire));
}

const TYPES = new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function decodeShardMessage(data: Uint8Array): ShardMessage {
  let wire: unknown;
  try {
    wire = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new ShardMessageError('', 'not JSON');
  }
  if (!isObject(wire)) throw new ShardMessageError('', 'not a JSON object');
  if (wire.v !== WIRE_VERSION) throw new ShardMessageError('v', `must be ${WIRE_VERSION}`);
  if (typeof wire.profileKey !== 'string' || wire.profileKey === '') throw new ShardMessageError('profileKey', 'must be a non-empty string');
  if (typeof wire.arrival !== 'number' || !Number.isFinite(wire.arrival)) throw new ShardMessageError('arrival', 'must be a number (ms since the epoch)');
  const event = wire.event;
  if (!isObject(event)) throw new ShardMessageError('event', 'must be an object');
  if (typeof event.type !== 'string' || !TYPES.has(event.type)) throw new ShardMessageError('event.type', `must be one of ${[...TYPES].join(', ')}`);
  for (const field of ['name', 'timestamp', 'messageId'] as const) {
    if (typeof event[field] !== 'string') throw new ShardMessageError(`event.${field}`, 'must be a string');
  }
  for (const field of ['userId', 'anonymousId', 'previousId'] as const) {
    if (event[field] !== undefined && typeof event[field] !== 'string') throw new ShardMessageError(`event.${field}`, 'must be a string');
  }
  if (event.userId === undefined && event.anonymousId === undefined) throw new ShardMessageError('event.userId', 'an event needs userId or anonymousId');
  if (!isObject(event.properties)) throw new ShardMessageError('event.properties', 'must be an object');
  if (event.traits !== undefined && !isObject(event.traits)) throw new ShardMessageError('event.traits', 'must be an object');
  const message: ShardMessage = { kind: 'event', event: event as unknown as IncomingEvent, profileKey: wire.profileKey, arrival: wire.arrival };
  const link = wire.link;
  if (link !== undefined) {
    if (!isObject(link) || typeof link.anonymousId !== 'string' || typeof link.userId !== 'string') throw new ShardMessageError('link', 'must be {anonymousId, userId}');
    message.link = { anonymousId: link.anonymousId, userId: link.userId };
  }
  return message;
}
