/**
 * Profile keys and identity links (journey.md "Profiles, identity and time"): the key is the
 * userId if present, else the anonymousId resolved through the links an identify or alias made.
 */
export interface IdentityLinks {
  /** The userId an anonymousId was linked to, if any. */
  userIdFor(anonymousId: string): string | undefined;
}

export interface Identified {
  userId?: string;
  anonymousId?: string;
  previousId?: string;
  type: string;
}

export function profileKeyOf(event: Identified, links: IdentityLinks): string {
  if (event.userId !== undefined) return event.userId;
  if (event.anonymousId === undefined) throw new Error('an event needs userId or anonymousId');
  return links.userIdFor(event.anonymousId) ?? event.anonymousId;
}

/** The link an event makes, if any: identify with both ids, or alias (previousId → userId). */
export function linkOf(event: Identified): { anonymousId: string; userId: string } | undefined {
  if (event.userId === undefined) return undefined;
  if (event.type === 'identify' && event.anonymousId !== undefined && event.anonymousId !== event.userId) {
    return { anonymousId: event.anonymousId, userId: event.userId };
  }
  if (event.type === 'alias' && event.previousId !== undefined && event.previousId !== event.userId) {
    return { anonymousId: event.previousId, userId: event.userId };
  }
  return undefined;
}

/** In-memory links, for the simulator and as the runtime's hot cache. */
export class MemoryLinks implements IdentityLinks {
  private readonly links = new Map<string, string>();
  userIdFor(anonymousId: string): string | undefined {
    return this.links.get(anonymousId);
  }
  link(anonymousId: string, userId: string): void {
    this.links.set(anonymousId, userId);
  }
}
