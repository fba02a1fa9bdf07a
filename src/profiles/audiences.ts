/**
 * Audiences (http.md "Audiences"): computed from a condition on traits, evaluated against the
 * profile's current traits (so membership is current after every identify), or managed lists.
 */
import type { Audiences, ProfileState } from '../core/types.js';
import { evaluateCondition } from '../machines/conditions.js';
import type { Condition } from '../machines/types.js';

export interface AudienceDefinition {
  id: string;
  name?: string;
  condition?: Condition;
  /** Initial members of a managed audience (profile keys). */
  members?: string[];
}

export class AudienceBook implements Audiences {
  private readonly byId = new Map<string, AudienceDefinition>();

  constructor(definitions: Iterable<AudienceDefinition> = []) {
    for (const audience of definitions) this.put(audience);
  }

  put(audience: AudienceDefinition): void {
    this.byId.set(audience.id, audience);
  }

  get(id: string): AudienceDefinition | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  isMember(audienceId: string, profile: ProfileState): boolean {
    return this.memberVia(audienceId, profile, new Set());
  }

  /** An audience's condition may name other audiences; a cycle among them counts as "not a member". */
  private memberVia(audienceId: string, profile: ProfileState, visiting: Set<string>): boolean {
    const audience = this.byId.get(audienceId);
    if (!audience || visiting.has(audienceId)) return false;
    if (audience.condition) {
      visiting.add(audienceId);
      const isMember = (id: string) => this.memberVia(id, profile, visiting);
      const member = evaluateCondition(audience.condition, { traits: profile.traits, journeyContext: {}, isMember });
      visiting.delete(audienceId);
      return member;
    }
    return profile.memberOf.has(audienceId) || (audience.members?.includes(profile.key) ?? false);
  }

  /** The audiences a profile is in now. */
  membership(profile: ProfileState): string[] {
    return this.ids().filter((id) => this.isMember(id, profile));
  }
}
