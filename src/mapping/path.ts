// The JSONPath subset the mapping kit understands, and Segment's lookup rules for reading it.
//
// Validation is strict (`parsePath`), evaluation is lenient (`readPath`): for every path that
// `parsePath` accepts, both split it the same way, so a validated mapping reads exactly what
// Segment's kit would read; the lenient reader only matters for paths computed at send time
// (`{"@path": {"@template": ...}}`), which cannot be checked in advance.

export type PathParse = { ok: true; segments: string[] } | { ok: false; reason: string };

/** True for the values Segment's kit treats as objects: plain `{}` records, not arrays or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Object.prototype.toString.call(value) === '[object Object]';
}

/**
 * Parses `$`, `$.`, `$.a.b`, `$.items[0].sku`. Names may hold any character but `.`, `[` and `]`
 * (spaces included, as in `$.integrations.Actions Amplitude`); brackets hold array indexes only,
 * because Segment's reader keeps quotes as part of the key and would silently find nothing.
 */
export function parsePath(path: string): PathParse {
  if (!path.startsWith('$')) return fail('it must start with "$" (for example "$.properties.email")');
  if (path === '$' || path === '$.') return { ok: true, segments: [] };
  const segments: string[] = [];
  let i = 1;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '.') {
      let end = i + 1;
      while (end < path.length && !'.[]'.includes(path[end] as string)) end++;
      const name = path.slice(i + 1, end);
      if (name === '') {
        return fail(`it has an empty name at character ${i + 1} ("..", a trailing "." or ".[" are not supported)`);
      }
      if (name === '*') return fail('wildcards ("*") are not supported');
      segments.push(name);
      i = end;
    } else if (ch === '[') {
      const close = path.indexOf(']', i);
      if (close === -1) return fail(`the "[" at character ${i + 1} is never closed`);
      const index = path.slice(i + 1, close);
      if (!/^\d+$/.test(index)) {
        return fail(`brackets may only hold an array index such as [0], not [${index}]; use dot notation for names`);
      }
      segments.push(index);
      i = close + 1;
    } else {
      return fail(`expected "." or "[" at character ${i + 1} but found "${ch ?? ''}"`);
    }
  }
  return { ok: true, segments };
}

function fail(reason: string): PathParse {
  return { ok: false, reason };
}

/**
 * Reads a `@path` / `@arrayPath` path the way Segment does: the first "$." is dropped and the
 * rest is split on ".", "[" and "]". "$" alone and a leading "$[" are read as the root too
 * (JSONPath's meaning; Segment would look for a key named "$").
 */
export function readPath(payload: unknown, path: string): unknown {
  let rest: string;
  if (path === '$') rest = '';
  else if (path.startsWith('$[')) rest = path.slice(1);
  else rest = path.replace('$.', '');
  return readDotted(payload, rest);
}

/** Segment's `get`: "" and "." mean the root; empty pieces between separators are skipped. */
export function readDotted(root: unknown, path: string): unknown {
  if (path === '' || path === '.') return root;
  return readSegments(root, path.match(/[^[.\]]+/g) ?? []);
}

/**
 * Walks the segments. A falsy value stops the walk and is itself the result (Segment's
 * `prev && prev[key]`), so `$.context.traits.email` under `traits: null` gives `null`, which a
 * mapping then keeps. Only own properties are read, so `constructor` or `__proto__` in a path
 * never reaches into prototypes.
 */
export function readSegments(root: unknown, segments: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of segments) {
    if (!current) return current;
    const holder = Object(current) as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(holder, key)) return undefined;
    current = holder[key];
  }
  return current;
}
