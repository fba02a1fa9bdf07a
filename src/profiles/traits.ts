/** Traits from identify calls: merged over the profile's current traits; a null trait is kept as null. */
import type { ProfileState } from '../core/types.js';

export function applyTraits(profile: ProfileState, traits: Record<string, unknown> | undefined): boolean {
  if (!traits) return false;
  let changed = false;
  for (const [name, value] of Object.entries(traits)) {
    if (value === undefined) continue;
    if (profile.traits[name] !== value) {
      profile.traits[name] = value;
      changed = true;
    }
  }
  return changed;
}

export function newProfile(key: string): ProfileState {
  return { key, traits: {}, instances: [], entered: new Set(), memberOf: new Set() };
}

/** Records the ids an event carries on the profile, for the payload's userId/anonymousId. */
export function noteIds(profile: ProfileState, userId: string | undefined, anonymousId: string | undefined): boolean {
  let changed = false;
  if (userId !== undefined && profile.userId === undefined && userId === profile.key) {
    profile.userId = userId;
    changed = true;
  }
  if (anonymousId !== undefined && profile.anonymousId === undefined) {
    profile.anonymousId = anonymousId;
    changed = true;
  }
  return changed;
}
