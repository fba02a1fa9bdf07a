// Evaluating a mapping over a payload, with the semantics of Segment's mapping kit
// (packages/core/src/mapping-kit in segmentio/action-destinations), including its quirks.
// Intermediate results keep `undefined` exactly where Segment's do (it matters inside @merge
// and @if); one final pass drops undefined keys, as Segment's `removeUndefined` does.
import type { Mapping } from './types.js';
import { isPlainObject, readPath } from './path.js';
import { renderTemplate } from './template.js';

type Directive = (argument: unknown, payload: unknown) => unknown;

/**
 * The result of evaluating `mapping` over `payload`. Pure: no I/O, clock or randomness, and it
 * never throws on data — a value that cannot be produced is `undefined`, so its key is left out.
 * It assumes `validateMapping` accepted the mapping. A root-level directive whose result is not
 * an object yields `{}`, because a destination always receives an object.
 */
export function mapPayload(mapping: Mapping, payload: unknown): Record<string, unknown> {
  const result = clean(resolve(mapping, payload));
  return isPlainObject(result) ? result : {};
}

/** The directive key of an object, if it is a directive object (Segment also tolerates `_metadata`). */
export function directiveKey(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  const found = keys.find((key) => key.startsWith('@'));
  if (found === undefined) return undefined;
  return keys.every((key) => key.startsWith('@') || key === '_metadata') ? found : undefined;
}

function resolve(mapping: unknown, payload: unknown): unknown {
  if (Array.isArray(mapping)) return mapping.map((item) => resolve(item, payload));
  if (!isPlainObject(mapping)) return mapping;
  const name = directiveKey(mapping);
  if (name !== undefined) {
    const run = DIRECTIVES[name];
    return run ? run(mapping[name], payload) : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(mapping)) setOwn(out, key, resolve(mapping[key], payload));
  return out;
}

const DIRECTIVES: Record<string, Directive | undefined> = {
  '@path': (arg, payload) => {
    const path = resolve(arg, payload);
    return typeof path === 'string' ? readPath(payload, path) : undefined;
  },

  '@template': (arg, payload) => {
    const template = resolve(arg, payload);
    return typeof template === 'string' ? renderTemplate(template, payload) : undefined;
  },

  // Segment resolves directives nested inside a literal; only the outer value is "literal".
  '@literal': (arg, payload) => resolve(arg, payload),

  '@if': (arg, payload) => {
    const opts = asRecord(arg);
    let condition: boolean;
    if (opts.exists !== undefined) {
      const value = resolve(opts.exists, payload);
      condition = value !== undefined && value !== null;
    } else {
      const value = resolve(opts.blank, payload);
      condition = value !== undefined && value !== null && !looselyEmpty(value);
    }
    if (condition) return opts.then !== undefined ? resolve(opts.then, payload) : undefined;
    // Segment tests `else` for truthiness, so `else: false`, `0`, `""` or `null` give nothing.
    return opts.else ? resolve(opts.else, payload) : undefined;
  },

  '@case': (arg, payload) => {
    const opts = asRecord(arg);
    if (!opts.value) return undefined;
    const value = resolve(opts.value, payload);
    if (typeof value !== 'string') return value;
    return opts.operator === 'upper' ? value.toUpperCase() : value.toLowerCase();
  },

  '@replace': (arg, payload) => {
    const opts = asRecord(arg);
    if (!opts.value) return undefined;
    let value = resolve(opts.value, payload);
    if (typeof value === 'boolean' || typeof value === 'number') value = String(value);
    // Anything else that is not a string (missing, null, objects) becomes "", as in Segment.
    if (typeof value !== 'string' || typeof opts.pattern !== 'string' || opts.pattern === '') return '';
    const flags = (opts.global === false ? '' : 'g') + (opts.ignorecase === true ? 'i' : '');
    let out = replaceLiteral(value, opts.pattern, stringOr(opts.replacement, ''), flags);
    if (typeof opts.pattern2 === 'string' && opts.pattern2 !== '') {
      out = replaceLiteral(out, opts.pattern2, stringOr(opts.replacement2, ''), flags);
    }
    return out;
  },

  '@arrayPath': (arg, payload) => {
    if (!Array.isArray(arg)) return undefined;
    const [path, itemShape] = arg as [unknown, unknown];
    // A string first element is a path to read, never a value: Segment does not resolve it.
    const root = typeof path === 'string' ? readPath(payload, path) : resolve(path, payload);
    const hasShape = isPlainObject(itemShape) && Object.keys(itemShape).length > 0;
    if (hasShape && (Array.isArray(root) || isPlainObject(root))) {
      const items: unknown[] = Array.isArray(root) ? root : [root];
      return items.map((item) => resolve(itemShape, item));
    }
    return root;
  },

  '@merge': (arg, payload) => {
    const opts = asRecord(arg);
    if (!Array.isArray(opts.objects)) return undefined;
    const objects = opts.objects.map((item) => resolve(item, payload));
    if (resolve(opts.direction, payload) === 'left') objects.reverse();
    const out: Record<string, unknown> = {};
    for (const source of objects) assignOwn(out, source);
    return out;
  },

  '@json': (arg, payload) => {
    const opts = asRecord(arg);
    const value = resolve(opts.value, payload);
    try {
      if (opts.mode === 'encode') return JSON.stringify(value);
      if (opts.mode === 'decode') return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
    } catch {
      // Segment throws here and fails the whole send; we leave the key out instead.
    }
    return undefined;
  },

  '@flatten': (arg, payload) => {
    const opts = asRecord(arg);
    const separator = resolve(opts.separator, payload);
    if (typeof separator !== 'string' || separator === '') return undefined;
    return flatten(resolve(opts.value, payload), '', separator, opts.omitArrays === true);
  },

  '@excludeWhenNull': (arg, payload) => {
    const value = resolve(arg, payload);
    return value === null ? undefined : withoutNulls(value);
  },
};

function asRecord(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/** JavaScript's `value == ''`, which Segment's `blank` test uses: 0, false, [] and "" are blank. */
function looselyEmpty(value: unknown): boolean {
  try {
    return value == '';
  } catch {
    return false;
  }
}

/**
 * Segment escapes the pattern so it matches literally, but passes the replacement to
 * `String.prototype.replace` unchanged, so `$&` or `$1` in a replacement keep their meaning.
 */
function replaceLiteral(value: string, pattern: string, replacement: string, flags: string): string {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return value.replace(new RegExp(escaped, flags), replacement);
}

/** Segment's `flattenObject`: a non-container at the top becomes `{ "": value }`. */
function flatten(input: unknown, prefix: string, separator: string, keepArrays: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (isPlainObject(input) || (!keepArrays && Array.isArray(input))) {
    for (const [key, value] of Object.entries(input as object)) {
      const next = prefix ? `${prefix}${separator}${key}` : key;
      assignOwn(out, flatten(value, next, separator, keepArrays));
    }
    return out;
  }
  setOwn(out, prefix, input);
  return out;
}

/** @excludeWhenNull also drops null fields at any depth of an object (not inside arrays). */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) setOwn(out, key, item === null ? undefined : withoutNulls(item));
  return out;
}

/** `Object.assign` semantics (strings spread into indexes, undefined values copied) without setters. */
function assignOwn(target: Record<string, unknown>, source: unknown): void {
  if (source === null || source === undefined) return;
  const holder = Object(source) as Record<string, unknown>;
  for (const key of Object.keys(holder)) setOwn(target, key, holder[key]);
}

/** Plain assignment would treat a `__proto__` key from JSON as the prototype setter. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Drops undefined object keys at every depth and copies containers, so the result never shares
 * objects with the payload. Undefined array items become null, which is what Segment's output
 * turns into once serialised.
 */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : clean(item)));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) setOwn(out, key, clean(item));
  }
  return out;
}
