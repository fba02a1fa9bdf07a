/**
 * Intake's routing step, shared by the router, the TypeScript client and the engine's tests:
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
  const event: IncomingEvent = normalizeEvent(raw, arrival, newMessageId, type);
  const link = linkOf(event);
  // The link this event makes applies to the event itself.
  const profileKey = profileKeyOf(event, link ? { userIdFor: (id) => (id === link.anonymousId ? link.userId : links.userIdFor(id)) } : links);
  const message: ShardMessage = { kind: 'event', event, profileKey, arrival };
  if (link) message.link = link;
  return { shard: shardOf(profileKey, shards), message };
}
