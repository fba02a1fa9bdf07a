/**
 * Journeys and their versions, persisted in LMDB and mirrored in the in-memory catalog.
 * `draft` → `published` → `archived`; a published version is immutable; publishing a changed
 * definition under an existing id makes version n+1, which takes the new entries while running
 * instances stay on theirs. At most one version of an id accepts entries.
 */
import { MemoryCatalog } from '../core/catalog.js';
import { JourneysError } from '../errors.js';
import type { JourneyDefinition } from '../machines/types.js';
import { validateJourney, type ValidationContext } from '../machines/validate.js';
import type { Store } from './store.js';

export type JourneyStatus = 'draft' | 'published' | 'archived';

export interface StoredVersion {
  id: string;
  version: number;
  definition: JourneyDefinition;
  status: 'published' | 'archived';
  publishedAt: number;
  archivedAt?: number;
}

export interface JourneySummary {
  id: string;
  name?: string;
  status: JourneyStatus;
  /** The version that accepts entries, if any. */
  activeVersion?: number;
  versions: StoredVersion[];
  draft?: JourneyDefinition;
}

/** Canonical JSON: keys sorted, so that an unchanged definition is recognised whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class JourneyRegistry {
  readonly catalog = new MemoryCatalog();

  constructor(private readonly store: Store, private readonly validationContext: () => ValidationContext, private readonly clock: () => number) {}

  /** Loads every stored version into the catalog (after a restart). */
  load(): void {
    for (const id of this.ids()) {
      const versions = this.versions(id);
      for (const stored of versions) this.catalog.load(stored.definition, stored.version);
      const latest = versions.at(-1);
      if (latest?.status === 'published') this.catalog.publish(latest.definition, latest.version);
    }
  }

  ids(): string[] {
    const ids = new Set<string>();
    for (const key of this.store.journeys.getKeys({})) ids.add((key as [string, number])[0]);
    return [...ids].sort();
  }

  versions(id: string): StoredVersion[] {
    const out: StoredVersion[] = [];
    for (const { key, value } of this.store.journeys.getRange({ start: [id, 1], end: [id, Number.MAX_SAFE_INTEGER] })) {
      if ((key as [string, number])[1] > 0) out.push(value as StoredVersion);
    }
    return out;
  }

  draft(id: string): JourneyDefinition | undefined {
    return this.store.journeys.get([id, 0]) as JourneyDefinition | undefined;
  }

  summary(id: string): JourneySummary | undefined {
    const versions = this.versions(id);
    const draft = this.draft(id);
    if (versions.length === 0 && !draft) return undefined;
    const latest = versions.at(-1);
    const accepting = this.catalog.acceptingVersion(id);
    const summary: JourneySummary = { id, status: latest ? latest.status : 'draft', versions };
    const name = (latest?.definition ?? draft)?.name;
    if (name !== undefined) summary.name = name;
    if (accepting) summary.activeVersion = accepting.version;
    if (draft) summary.draft = draft;
    return summary;
  }

  /** Validates and stores a draft (replacing the previous draft of that id). */
  async saveDraft(input: unknown): Promise<JourneyDefinition> {
    const definition = this.validate(input);
    await this.store.journeys.put([definition.id, 0], definition);
    return definition;
  }

  /**
   * Publishes a definition: unchanged from the latest published version (canonical JSON) → that
   * version stays; otherwise version n+1. Archived journeys become published again.
   */
  async publish(input: unknown): Promise<{ version: StoredVersion; unchanged: boolean }> {
    const definition = this.validate(input);
    const versions = this.versions(definition.id);
    const latest = versions.at(-1);
    if (latest && latest.status === 'published' && canonicalJson(latest.definition) === canonicalJson(definition)) {
      return { version: latest, unchanged: true };
    }
    const stored: StoredVersion = { id: definition.id, version: (latest?.version ?? 0) + 1, definition, status: 'published', publishedAt: this.clock() };
    await this.store.env.transaction(() => {
      this.store.journeys.put([definition.id, stored.version], stored);
      this.store.journeys.remove([definition.id, 0]);
    });
    this.catalog.publish(definition, stored.version);
    return { version: stored, unchanged: false };
  }

  /** The latest version when it is published and equal to this definition (canonical JSON); else undefined. */
  unchanged(input: unknown): StoredVersion | undefined {
    const result = validateJourney(input, this.validationContext());
    if (!result.valid) return undefined;
    const latest = this.versions(result.definition.id).at(-1);
    return latest && latest.status === 'published' && canonicalJson(latest.definition) === canonicalJson(result.definition) ? latest : undefined;
  }

  /** Publishes the stored draft of an id. */
  async publishDraft(id: string): Promise<{ version: StoredVersion; unchanged: boolean }> {
    const draft = this.draft(id);
    if (!draft) throw new JourneysError('JRN_NOT_FOUND', `Journey "${id}" has no draft to publish.`);
    return this.publish(draft);
  }

  /** Stops new entries (the caller terminates running instances when asked). */
  async archive(id: string): Promise<StoredVersion[]> {
    const versions = this.versions(id);
    if (versions.length === 0) throw new JourneysError('JRN_NOT_FOUND', `Journey "${id}" has no published version.`);
    const now = this.clock();
    const changed = versions.filter((v) => v.status === 'published').map((v) => ({ ...v, status: 'archived' as const, archivedAt: now }));
    await this.store.env.transaction(() => {
      for (const v of changed) this.store.journeys.put([id, v.version], v);
    });
    this.catalog.archive(id);
    return versions;
  }

  private validate(input: unknown): JourneyDefinition {
    const result = validateJourney(input, this.validationContext());
    if (!result.valid) throw new JourneysError('JRN_INVALID_JOURNEY', `The journey definition has ${result.issues.length} issue(s).`, { details: result.issues });
    return result.definition;
  }
}
