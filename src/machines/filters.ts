/** Entry, hold-branch and exit-rule filters: every filter must hold (AND) over the event's properties. */
import { applyOperator } from './compare.js';
import { readPath } from './property-path.js';
import type { Filter } from './types.js';

export function matchesFilters(filters: readonly Filter[] | undefined, properties: unknown): boolean {
  if (!filters) return true;
  for (const filter of filters) {
    if (!applyOperator(filter, readPath(properties, filter.property))) return false;
  }
  return true;
}

/** The first filter that fails, for entry traces ("filter `plan` failed"). */
export function firstFailingFilter(filters: readonly Filter[] | undefined, properties: unknown): Filter | undefined {
  return filters?.find((filter) => !applyOperator(filter, readPath(properties, filter.property)));
}
