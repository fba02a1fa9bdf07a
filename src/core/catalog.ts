/**
 * The published journeys in memory: versions by (id, version) and the entry index by event
 * name. At most one version of an id accepts entries (the latest published, until archived).
 */
import { compiledVersion, type CompiledJourney } from '../machines/compiled.js';
import type { JourneyDefinition } from '../machines/types.js';
import type { Catalog } from './types.js';

export class MemoryCatalog implements Catalog {
  private readonly versions = new Map<string, CompiledJourney[]>();
  private readonly accepting = new Map<string, CompiledJourney>();
  private byEvent = new Map<string, CompiledJourney[]>();

  /** Adds a published version; from now on new entries of this id go to it. */
  publish(definition: JourneyDefinition, version: number): CompiledJourney {
    const compiled = compiledVersion(definition, version);
    const list = this.versions.get(definition.id) ?? [];
    list[version - 1] = compiled;
    this.versions.set(definition.id, list);
    this.accepting.set(definition.id, compiled);
    this.reindex();
    return compiled;
  }

  /** Stops new entries; running instances keep their versions. */
  archive(journeyId: string): void {
    this.accepting.delete(journeyId);
    this.reindex();
  }

  /** Loads a version for pinned instances without making it accept entries. */
  load(definition: JourneyDefinition, version: number): CompiledJourney {
    const compiled = compiledVersion(definition, version);
    const list = this.versions.get(definition.id) ?? [];
    list[version - 1] = compiled;
    this.versions.set(definition.id, list);
    return compiled;
  }

  entriesFor(name: string): readonly CompiledJourney[] {
    return this.byEvent.get(name) ?? [];
  }

  version(journeyId: string, version: number): CompiledJourney | undefined {
    return this.versions.get(journeyId)?.[version - 1];
  }

  latest(journeyId: string): CompiledJourney | undefined {
    const list = this.versions.get(journeyId);
    return list?.[list.length - 1];
  }

  acceptingVersion(journeyId: string): CompiledJourney | undefined {
    return this.accepting.get(journeyId);
  }

  /** Every loaded version, accepting entries or pinned by running instances. */
  all(): CompiledJourney[] {
    return [...this.versions.values()].flatMap((list) => list.filter(Boolean));
  }

  ids(): string[] {
    return [...this.versions.keys()].sort();
  }

  private reindex(): void {
    const byEvent = new Map<string, CompiledJourney[]>();
    // Sorted by id so that entry order, and so effect order, is the same on every machine.
    for (const id of [...this.accepting.keys()].sort()) {
      const compiled = this.accepting.get(id)!;
      const list = byEvent.get(compiled.definition.entry.event) ?? [];
      list.push(compiled);
      byEvent.set(compiled.definition.entry.event, list);
    }
    this.byEvent = byEvent;
  }
}
