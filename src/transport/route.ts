/**
 * Intake's routing step, shared by the engine's intake (the HTTP shim), the router and the client:
 * normalize a Segment-shaped event, resolve its profile key through the identity links and
 * hash it to a shard (`shardOf`, the same FNV-1a as nats-server's `partition()`).
 */
import { normalizeEvent } from '../core/event.js';
import type { IncomingEvent } from '../core/types.js';
import { shardOf } from '../machines/hashing.js';
import { linkOf, profileKeyOf, type IdentityLinks } from '../profiles/identity.js';
import type { ShardMessage } from './bus.js';

export interface Routed {
  shard: number;
  message: ShardMessage;
}

/** Throws EventShapeError (naming the field) for an event that is not valid. */
export function routeEvent(raw: unknown, arrival: number, links: IdentityLinks, shards: number, newMessageId: () => string, type?: string): Routed {
  return routeNormalized(normalizeEvent(raw, arrival, newMessageId, type), arrival, links, shards);
}

/** An event already normalized: its profile key, its shard, the link it makes (if any). */
export function routeNormalized(event: IncomingEvent, arrival: number, links: IdentityLinks, shards: number): Routed {
  const profileKey = profileKeyOf(event, links); // an event that makes a link has the userId: the key
  const message: ShardMessage = { kind: 'event', event, profileKey, arrival };
  const link = linkOf(event);
  if (link) message.link = link;
  return { shard: shardOf(profileKey, shards), message };
}
