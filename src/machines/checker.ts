/**
 * The small toolkit validation is written with: it collects issues instead of throwing, so one
 * pass reports every problem of a definition at once.
 */
import type { Issue, IssueCode } from './issue-codes.js';
import { pointer } from './json-pointer.js';

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

export class Checker {
  readonly issues: Issue[] = [];

  add(path: string, code: IssueCode | `mapping_${string}`, message: string): void {
    this.issues.push({ path, code, message });
  }

  /** An object whose keys are all known; reports unknown keys and a non-object. */
  object(value: unknown, path: string, what: string, known: readonly string[]): value is Obj {
    if (!isObject(value)) {
      this.add(path, 'not_object', `${what} must be an object, not ${describe(value)}.`);
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.add(pointer(path, key), 'unknown_field', `${what} has no field "${key}" (known: ${known.join(', ')}).`);
    }
    return true;
  }

  required(obj: Obj, key: string, path: string, what: string): boolean {
    if (obj[key] === undefined) {
      this.add(pointer(path, key), 'missing_field', `${what} needs "${key}".`);
      return false;
    }
    return true;
  }

  string(obj: Obj, key: string, path: string, what: string, opts: { required?: boolean } = {}): string | undefined {
    const value = obj[key];
    if (value === undefined) {
      if (opts.required) this.required(obj, key, path, what);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(pointer(path, key), 'invalid_type', `${what} "${key}" must be a string, not ${describe(value)}.`);
      return undefined;
    }
    return value;
  }

  boolean(obj: Obj, key: string, path: string, what: string): boolean | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') {
      this.add(pointer(path, key), 'invalid_type', `${what} "${key}" must be true or false, not ${describe(value)}.`);
      return undefined;
    }
    return value;
  }

  array(obj: Obj, key: string, path: string, what: string, opts: { required?: boolean } = {}): unknown[] | undefined {
    const value = obj[key];
    if (value === undefined) {
      if (opts.required) this.required(obj, key, path, what);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(pointer(path, key), 'invalid_type', `${what} "${key}" must be an array, not ${describe(value)}.`);
      return undefined;
    }
    return value;
  }

  /** A step reference: a string or null (null ends the instance). Existence is checked later. */
  reference(obj: Obj, key: string, path: string, what: string): string | null | undefined {
    const value = obj[key];
    if (value === undefined) {
      this.add(pointer(path, key), 'missing_field', `${what} needs "${key}" (a step id, or null to end the journey).`);
      return undefined;
    }
    if (value !== null && typeof value !== 'string') {
      this.add(pointer(path, key), 'invalid_type', `${what} "${key}" must be a step id or null, not ${describe(value)}.`);
      return undefined;
    }
    return value;
  }
}
