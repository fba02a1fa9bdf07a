/** Reading a dotted path (`a.b.c`) out of plain JSON data. Array elements are addressed by index. */
export function readPath(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const SEGMENT = /^[^.\s][^.]*$/;

/** A dotted path with no empty segments: `session_id`, `cart.total`. */
export function isDottedPath(path: unknown): path is string {
  return typeof path === 'string' && path.length > 0 && path.length <= 256 && path.split('.').every((s) => SEGMENT.test(s));
}
