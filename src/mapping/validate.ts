// Checking a mapping when the journey is validated, so that a send never meets a bad mapping.
// The rules follow what Segment's kit rejects (its validate.ts, plus the argument checks its
// directives only make at run time), and are stricter where a mapping could only fail or
// silently produce nothing: unknown argument names, a missing `then`/`else`, paths without "$".
import type { MappingIssue } from './types.js';
import { isPlainObject, parsePath } from './path.js';

export const MAPPING_ISSUE_CODES: Record<string, string> = {
  mapping_not_object: 'The mapping is not an object of output keys.',
  mapping_unknown_directive: 'A key starts with "@" but is not one of the supported directives.',
  mapping_multiple_directives: 'An object mixes a directive with other keys, or holds two directives.',
  mapping_invalid_path: 'A path is not a string of the form "$.a.b[0]".',
  mapping_invalid_argument: "A directive's argument is missing, has the wrong type, or is not an allowed value.",
  mapping_invalid_value: 'A value in the mapping is not JSON (a function, NaN, a Date, ...).',
};

const MAX_PATTERN_LENGTH = 10; // Segment's limit for @replace patterns and replacements.

type Issues = MappingIssue[];
type DirectiveCheck = (arg: unknown, at: string, issues: Issues) => void;

/**
 * Every problem in `mapping`, each at the RFC 6901 pointer of the offending value, prefixed by
 * `pointer` (the mapping's own location in the journey, "" for a standalone mapping).
 */
export function validateMapping(mapping: unknown, pointer: string): MappingIssue[] {
  const issues: Issues = [];
  if (!isPlainObject(mapping)) {
    issue(issues, pointer, 'mapping_not_object', `The mapping must be an object of output keys, but it is ${describe(mapping)}.`);
    return issues;
  }
  checkValue(mapping, pointer, issues);
  return issues;
}

function checkValue(value: unknown, at: string, issues: Issues): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkValue(item, child(at, String(index)), issues));
    return;
  }
  if (isPlainObject(value)) {
    checkObject(value, at, issues);
    return;
  }
  const jsonScalar =
    value === null ||
    value === undefined || // a key set to undefined is simply left out of the result
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value));
  if (!jsonScalar) {
    issue(issues, at, 'mapping_invalid_value', `A mapping may only hold JSON values, but this is ${describe(value)}.`);
  }
}

function checkObject(obj: Record<string, unknown>, at: string, issues: Issues): void {
  const keys = Object.keys(obj);
  const directives = keys.filter((key) => key.startsWith('@'));
  // Segment's UI stores `_metadata` next to a directive; it is ignored, as Segment ignores it.
  const others = keys.filter((key) => !key.startsWith('@') && (directives.length === 0 || key !== '_metadata'));
  if (directives.length > 1 || (directives.length === 1 && others.length > 0)) {
    const listed = keys.filter((key) => key !== '_metadata').map((key) => `"${key}"`).join(', ');
    issue(
      issues,
      at,
      'mapping_multiple_directives',
      `An object with a directive must hold that one directive and nothing else, but this one has ${listed}.`,
    );
  }
  for (const key of directives) {
    const check = DIRECTIVE_CHECKS[key];
    if (check) check(obj[key], child(at, key), issues);
    else issue(issues, child(at, key), 'mapping_unknown_directive', `"${key}" is not a directive; supported: ${DIRECTIVE_LIST}.`);
  }
  for (const key of others) checkValue(obj[key], child(at, key), issues);
}

/** The value is read as a path: a literal "$..." string, or a directive computing one. */
function checkPathValue(arg: unknown, at: string, issues: Issues, directive: string): void {
  if (typeof arg === 'string') {
    const parsed = parsePath(arg);
    if (!parsed.ok) issue(issues, at, 'mapping_invalid_path', `The path "${arg}" in ${directive} is not valid: ${parsed.reason}.`);
  } else if (isDirectiveLike(arg)) {
    checkValue(arg, at, issues);
  } else {
    issue(issues, at, 'mapping_invalid_path', `${directive} needs a path string such as "$.properties.email", but got ${describe(arg)}.`);
  }
}

/** A string, or a directive expected to produce one (Segment's "directive or string"). */
function checkStringOrDirective(arg: unknown, at: string, issues: Issues, what: string): void {
  if (typeof arg === 'string') return;
  if (isDirectiveLike(arg)) checkValue(arg, at, issues);
  else issue(issues, at, 'mapping_invalid_argument', `${what} must be a string or a directive, but it is ${describe(arg)}.`);
}

/**
 * Directives taking an object of named arguments: the object must be a literal (not a
 * directive), and names outside `allowed` are reported, since Segment would ignore a typo.
 */
function argumentObject(
  name: string,
  arg: unknown,
  at: string,
  issues: Issues,
  allowed: readonly string[],
): Record<string, unknown> | undefined {
  if (!isPlainObject(arg) || isDirectiveLike(arg)) {
    const shape = allowed.map((key) => `"${key}"`).join(', ');
    issue(issues, at, 'mapping_invalid_argument', `${name} takes an object with ${shape}, but got ${describe(arg)}.`);
    return undefined;
  }
  for (const key of Object.keys(arg)) {
    if (!allowed.includes(key)) {
      issue(issues, child(at, key), 'mapping_invalid_argument', `${name} has no argument "${key}"; it takes ${allowed.join(', ')}.`);
    }
  }
  return arg;
}

function requireArg(opts: Record<string, unknown>, key: string, name: string, at: string, issues: Issues): boolean {
  if (opts[key] !== undefined) return true;
  issue(issues, at, 'mapping_invalid_argument', `${name} needs a "${key}" argument.`);
  return false;
}

function checkOneOf(value: unknown, allowed: readonly string[], at: string, issues: Issues, what: string): void {
  if (typeof value === 'string' && allowed.includes(value)) return;
  const options = allowed.map((option) => `"${option}"`).join(' or ');
  issue(issues, at, 'mapping_invalid_argument', `${what} must be ${options}, but it is ${describe(value)}.`);
}

function checkOptionalBoolean(opts: Record<string, unknown>, key: string, at: string, issues: Issues, name: string): void {
  const value = opts[key];
  if (value !== undefined && typeof value !== 'boolean') {
    issue(issues, child(at, key), 'mapping_invalid_argument', `${name} "${key}" must be true or false, but it is ${describe(value)}.`);
  }
}

function checkReplaceString(opts: Record<string, unknown>, key: string, min: number, at: string, issues: Issues): void {
  const value = opts[key];
  if (value === undefined) return;
  if (typeof value !== 'string') {
    issue(issues, child(at, key), 'mapping_invalid_argument', `@replace "${key}" must be a literal string, but it is ${describe(value)}.`);
  } else if (value.length < min || value.length > MAX_PATTERN_LENGTH) {
    const range = min > 0 ? `${min} to ${MAX_PATTERN_LENGTH}` : `at most ${MAX_PATTERN_LENGTH}`;
    issue(issues, child(at, key), 'mapping_invalid_argument', `@replace "${key}" must be ${range} characters long (Segment's limit), but it has ${value.length}.`);
  }
}

const DIRECTIVE_CHECKS: Record<string, DirectiveCheck | undefined> = {
  '@path': (arg, at, issues) => checkPathValue(arg, at, issues, '@path'),
  '@template': (arg, at, issues) => checkStringOrDirective(arg, at, issues, '@template'),
  '@literal': (arg, at, issues) => checkValue(arg, at, issues),
  '@excludeWhenNull': (arg, at, issues) => checkValue(arg, at, issues),

  '@if': (arg, at, issues) => {
    const opts = argumentObject('@if', arg, at, issues, ['exists', 'blank', 'then', 'else']);
    if (!opts) return;
    if (opts.exists === undefined && opts.blank === undefined) {
      issue(issues, at, 'mapping_invalid_argument', '@if needs a condition: an "exists" or a "blank" argument.');
    } else if (opts.exists !== undefined && opts.blank !== undefined) {
      issue(issues, at, 'mapping_invalid_argument', '@if takes one condition, "exists" or "blank", not both.');
    }
    if (opts.then === undefined && opts.else === undefined) {
      issue(issues, at, 'mapping_invalid_argument', '@if needs a "then" or an "else" argument (or both).');
    }
    for (const key of ['exists', 'blank', 'then', 'else']) {
      if (opts[key] !== undefined) checkValue(opts[key], child(at, key), issues);
    }
  },

  '@case': (arg, at, issues) => {
    const opts = argumentObject('@case', arg, at, issues, ['operator', 'value']);
    if (!opts) return;
    if (requireArg(opts, 'operator', '@case', at, issues)) {
      checkOneOf(opts.operator, ['lower', 'upper'], child(at, 'operator'), issues, '@case "operator"');
    }
    if (requireArg(opts, 'value', '@case', at, issues)) {
      checkStringOrDirective(opts.value, child(at, 'value'), issues, '@case "value"');
    }
  },

  '@replace': (arg, at, issues) => {
    const allowed = ['pattern', 'replacement', 'pattern2', 'replacement2', 'value', 'global', 'ignorecase'];
    const opts = argumentObject('@replace', arg, at, issues, allowed);
    if (!opts) return;
    if (requireArg(opts, 'pattern', '@replace', at, issues)) checkReplaceString(opts, 'pattern', 1, at, issues);
    for (const key of ['replacement', 'pattern2', 'replacement2']) checkReplaceString(opts, key, 0, at, issues);
    if (requireArg(opts, 'value', '@replace', at, issues)) {
      checkStringOrDirective(opts.value, child(at, 'value'), issues, '@replace "value"');
    }
    checkOptionalBoolean(opts, 'global', at, issues, '@replace');
    checkOptionalBoolean(opts, 'ignorecase', at, issues, '@replace');
  },

  '@arrayPath': (arg, at, issues) => {
    if (!Array.isArray(arg) || arg.length < 1 || arg.length > 2) {
      issue(issues, at, 'mapping_invalid_argument', `@arrayPath takes [path] or [path, itemShape], but got ${describe(arg)}.`);
      return;
    }
    checkPathValue(arg[0], child(at, '0'), issues, '@arrayPath');
    if (arg.length === 2) {
      const shape: unknown = arg[1];
      if (isPlainObject(shape)) checkValue(shape, child(at, '1'), issues);
      else issue(issues, child(at, '1'), 'mapping_invalid_argument', `The @arrayPath item shape must be an object, but it is ${describe(shape)}.`);
    }
  },

  '@merge': (arg, at, issues) => {
    const opts = argumentObject('@merge', arg, at, issues, ['objects', 'direction']);
    if (!opts) return;
    if (requireArg(opts, 'objects', '@merge', at, issues)) {
      const objects = opts.objects;
      const objectsAt = child(at, 'objects');
      if (!Array.isArray(objects)) {
        issue(issues, objectsAt, 'mapping_invalid_argument', `@merge "objects" must be an array, but it is ${describe(objects)}.`);
      } else {
        objects.forEach((item: unknown, index) => {
          const itemAt = child(objectsAt, String(index));
          if (isPlainObject(item)) checkValue(item, itemAt, issues);
          else issue(issues, itemAt, 'mapping_invalid_argument', `Each @merge object must be an object or a directive, but this is ${describe(item)}.`);
        });
      }
    }
    if (requireArg(opts, 'direction', '@merge', at, issues)) {
      checkOneOf(opts.direction, ['left', 'right'], child(at, 'direction'), issues, '@merge "direction"');
    }
  },

  '@json': (arg, at, issues) => {
    const opts = argumentObject('@json', arg, at, issues, ['value', 'mode']);
    if (!opts) return;
    if (requireArg(opts, 'value', '@json', at, issues)) checkValue(opts.value, child(at, 'value'), issues);
    if (requireArg(opts, 'mode', '@json', at, issues)) {
      checkOneOf(opts.mode, ['encode', 'decode'], child(at, 'mode'), issues, '@json "mode"');
    }
  },

  '@flatten': (arg, at, issues) => {
    const opts = argumentObject('@flatten', arg, at, issues, ['value', 'separator', 'omitArrays']);
    if (!opts) return;
    if (requireArg(opts, 'value', '@flatten', at, issues)) checkValue(opts.value, child(at, 'value'), issues);
    if (requireArg(opts, 'separator', '@flatten', at, issues)) {
      const separator = opts.separator;
      if (typeof separator !== 'string' || separator === '') {
        issue(issues, child(at, 'separator'), 'mapping_invalid_argument', `@flatten "separator" must be a non-empty literal string, but it is ${describe(separator)}.`);
      }
    }
    checkOptionalBoolean(opts, 'omitArrays', at, issues, '@flatten');
  },
};

const DIRECTIVE_LIST = Object.keys(DIRECTIVE_CHECKS).join(', ');

function isDirectiveLike(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('@'));
}

function child(pointer: string, key: string): string {
  return `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function issue(issues: Issues, path: string, code: string, message: string): void {
  issues.push({ path, code, message });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isDirectiveLike(value)) return 'a directive';
  if (isPlainObject(value)) return 'an object';
  if (value instanceof Date) return 'a Date';
  return `a ${typeof value}`;
}
