/** Test fixtures: the example journeys (copied into the repo) and the contract's vectors.json. */
import { readFileSync } from 'node:fs';
import type { JourneyDefinition } from '../../src/machines/types.js';

const root = new URL('../../', import.meta.url);

export function example(name: 'cart-abandonment' | 'content-follow-up' | 'form-forwarding'): JourneyDefinition {
  return JSON.parse(readFileSync(new URL(`examples/${name}.json`, root), 'utf8')) as JourneyDefinition;
}

/** The contract's test vectors; the repository expects ../shared beside it, as CI lays it out. */
export function vectors(): any {
  return JSON.parse(readFileSync(new URL('../shared/spec/vectors.json', root), 'utf8'));
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
