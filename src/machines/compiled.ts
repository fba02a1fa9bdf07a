/**
 * A published version, compiled once and cached per (id, version). Published versions are
 * immutable within one data directory, but one process may hold several engines (tests, the
 * simulator beside a server), so the key also carries a digest of the definition.
 */
import { createHash } from 'node:crypto';
import { compileMachine } from './compile.js';
import { MachineRunner } from './advance.js';
import type { HoldUntilStep, JourneyDefinition, Step } from './types.js';

export interface CompiledJourney {
  readonly definition: JourneyDefinition;
  readonly version: number;
  readonly runner: MachineRunner;
  readonly steps: ReadonlyMap<string, Step>;
  /** Event names each hold_until step waits for: the routing index. */
  readonly awaited: ReadonlyMap<string, ReadonlySet<string>>;
  /** Event names any step of the journey may wait for. */
  readonly awaitedAnywhere: ReadonlySet<string>;
}

const cache = new Map<string, CompiledJourney>();

export function compileJourney(definition: JourneyDefinition, version: number): CompiledJourney {
  const steps = new Map(definition.steps.map((s) => [s.id, s] as const));
  const awaited = new Map<string, Set<string>>();
  for (const step of definition.steps) {
    if (step.type === 'hold_until') awaited.set(step.id, new Set((step as HoldUntilStep).branches.map((b) => b.event)));
  }
  const awaitedAnywhere = new Set<string>([...awaited.values()].flatMap((set) => [...set]));
  return { definition, version, runner: new MachineRunner(compileMachine(definition)), steps, awaited, awaitedAnywhere };
}

export function compiledVersion(definition: JourneyDefinition, version: number): CompiledJourney {
  const digest = createHash('sha256').update(JSON.stringify(definition)).digest('base64');
  const key = `${definition.id}\u0000${version}\u0000${digest}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = compileJourney(definition, version);
    cache.set(key, compiled);
  }
  return compiled;
}
