/**
 * Filter operators (journey.md "Filters"): strict comparison, deep equality for objects and arrays.
 * A missing property (or null) makes `notEquals` and `exists: false` true and every other operator
 * false; gt/gte/lt/lte on a non-number are false.
 */
import type { FilterOperator, FilterOperators } from './types.js';
import { FILTER_OPERATORS } from './types.js';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The one operator a filter or condition carries (validation guarantees exactly one). */
export function operatorOf(filter: FilterOperators): FilterOperator | undefined {
  return FILTER_OPERATORS.find((op) => Object.prototype.hasOwnProperty.call(filter, op));
}

export function applyOperator(filter: FilterOperators, value: unknown): boolean {
  const op = operatorOf(filter);
  const missing = value === undefined || value === null;
  switch (op) {
    case 'equals':
      return !missing && deepEqual(value, filter.equals);
    case 'equalsAnyOf':
      return !missing && (filter.equalsAnyOf ?? []).some((candidate) => deepEqual(value, candidate));
    case 'notEquals':
      return missing || !deepEqual(value, filter.notEquals);
    case 'exists':
      return filter.exists === !missing;
    case 'gt':
      return typeof value === 'number' && value > filter.gt!;
    case 'gte':
      return typeof value === 'number' && value >= filter.gte!;
    case 'lt':
      return typeof value === 'number' && value < filter.lt!;
    case 'lte':
      return typeof value === 'number' && value <= filter.lte!;
    case 'contains':
      if (typeof value === 'string') return typeof filter.contains === 'string' && value.includes(filter.contains);
      if (Array.isArray(value)) return value.some((item) => deepEqual(item, filter.contains));
      return false;
    default:
      return false;
  }
}
