/** Validation of filters (entry, hold branches, exit rules) and of data_split / audience conditions. */
import { Checker, describe, isObject, type Obj } from './checker.js';
import { pointer } from './json-pointer.js';
import { isDottedPath } from './property-path.js';
import { FILTER_OPERATORS } from './types.js';

export interface ConditionScope {
  /** Keys the journey context can hold (entry event name, hold-branch aliases or event names). */
  contextKeys?: ReadonlySet<string>;
  /** Whether `{context: …}` conditions are allowed (not in audience conditions). */
  allowContext: boolean;
  /** Audience ids referenced, collected for the known-audience check. */
  audiences: { id: string; path: string }[];
}

export function checkFilters(c: Checker, value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    c.add(path, 'invalid_type', `filters must be an array, not ${describe(value)}.`);
    return;
  }
  value.forEach((filter, i) => {
    const at = pointer(path, i);
    if (!c.object(filter, at, 'A filter', ['property', ...FILTER_OPERATORS])) return;
    if (!c.required(filter, 'property', at, 'A filter')) {
      checkOperator(c, filter, at, 'A filter');
      return;
    }
    if (!isDottedPath(filter.property)) {
      c.add(pointer(at, 'property'), 'invalid_path', `filter property ${describe(filter.property)} is not a dotted path such as "cart.total".`);
    }
    checkOperator(c, filter, at, 'A filter');
  });
}

/** Exactly one operator, with an operand of the type it compares. */
export function checkOperator(c: Checker, obj: Obj, path: string, what: string): void {
  const ops = FILTER_OPERATORS.filter((op) => obj[op] !== undefined);
  if (ops.length !== 1) {
    c.add(path, 'invalid_operator', ops.length === 0
      ? `${what} needs one operator: ${FILTER_OPERATORS.join(', ')}.`
      : `${what} has ${ops.length} operators (${ops.join(', ')}); use one per filter and combine filters with AND.`);
    return;
  }
  const op = ops[0]!;
  const operand = obj[op];
  const at = pointer(path, op);
  if (op === 'exists' && typeof operand !== 'boolean') c.add(at, 'invalid_operand', `exists takes true or false, not ${describe(operand)}.`);
  if ((op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') && (typeof operand !== 'number' || !Number.isFinite(operand))) {
    c.add(at, 'invalid_operand', `${op} compares numbers; ${describe(operand)} is not one.`);
  }
  if (op === 'equalsAnyOf' && !Array.isArray(operand)) c.add(at, 'invalid_operand', `equalsAnyOf takes an array of values, not ${describe(operand)}.`);
}

const CONDITION_KINDS = ['trait', 'context', 'audience', 'all', 'any', 'not'] as const;

export function checkCondition(c: Checker, value: unknown, path: string, scope: ConditionScope, depth = 0): void {
  if (!isObject(value)) {
    c.add(path, 'invalid_condition', `A condition must be an object, not ${describe(value)}.`);
    return;
  }
  if (depth > 16) {
    c.add(path, 'invalid_condition', 'Conditions nest at most 16 levels deep.');
    return;
  }
  const kinds = CONDITION_KINDS.filter((k) => value[k] !== undefined);
  const allowed: readonly string[] = scope.allowContext ? CONDITION_KINDS : CONDITION_KINDS.filter((k) => k !== 'context');
  if (kinds.length !== 1 || !allowed.includes(kinds[0]!)) {
    c.add(path, 'invalid_condition', `A condition must have exactly one of ${allowed.map((k) => `"${k}"`).join(', ')}.`);
    return;
  }
  const kind = kinds[0]!;
  if (kind === 'all' || kind === 'any') {
    if (!c.object(value, path, `An "${kind}" condition`, [kind])) return;
    const list = value[kind];
    if (!Array.isArray(list) || list.length === 0) {
      c.add(pointer(path, kind), 'invalid_condition', `"${kind}" takes a non-empty array of conditions.`);
      return;
    }
    list.forEach((item, i) => checkCondition(c, item, pointer(path, kind, i), scope, depth + 1));
    return;
  }
  if (kind === 'not') {
    if (c.object(value, path, 'A "not" condition', ['not'])) checkCondition(c, value.not, pointer(path, 'not'), scope, depth + 1);
    return;
  }
  if (kind === 'audience') {
    if (!c.object(value, path, 'An audience condition', ['audience', 'member'])) return;
    const id = c.string(value, 'audience', path, 'An audience condition');
    if (id !== undefined) scope.audiences.push({ id, path: pointer(path, 'audience') });
    if (typeof value.member !== 'boolean') c.add(pointer(path, 'member'), 'invalid_operand', `"member" must be true or false, not ${describe(value.member)}.`);
    return;
  }
  if (!c.object(value, path, `A ${kind} condition`, [kind, ...FILTER_OPERATORS])) return;
  const target = value[kind];
  if (!isDottedPath(target)) {
    c.add(pointer(path, kind), 'invalid_path', `"${kind}" must be a dotted path, not ${describe(target)}.`);
  } else if (kind === 'context' && scope.contextKeys) {
    const key = target.split('.')[0]!;
    if (!scope.contextKeys.has(key)) {
      c.add(pointer(path, kind), 'unknown_context_key', `No event on this journey is stored in the context as "${key}" (known: ${[...scope.contextKeys].join(', ')}).`);
    }
  }
  checkOperator(c, value, path, `A ${kind} condition`);
}
