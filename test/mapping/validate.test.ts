import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAPPING_ISSUE_CODES, validateMapping, type MappingIssue } from '../../src/mapping/index.js';

const at = '/steps/2/mapping';
/** The (path, code) pairs of the issues, which is what callers rely on; messages are for people. */
const found = (mapping: unknown) => validateMapping(mapping, at).map(({ path, code }) => ({ path, code }));
const one = (path: string, code: string) => [{ path: `${at}${path}`, code }];

const validate = suite('mapping: validate');

validate('mapping: a valid mapping using every directive gives no issues', () => {
  const mapping = {
    email: { '@path': '$.properties.email' },
    root: { '@path': '$' },
    item: { '@path': '$.properties.items[0].sku' },
    spaced: { '@path': '$.integrations.Actions Amplitude.session_id' },
    greeting: { '@template': 'Hi {{properties.first_name}}' },
    fixed: { '@literal': { a: 1 } },
    nil: null,
    list: [1, { '@path': '$.userId' }],
    nested: { deeper: { '@path': '$.userId' } },
    has: { '@if': { exists: { '@path': '$.properties.phone' }, then: true, else: false } },
    blank: { '@if': { blank: { '@path': '$.properties.phone' }, else: 'none' } },
    shout: { '@case': { operator: 'upper', value: { '@path': '$.properties.first_name' } } },
    clean: { '@replace': { pattern: '-', replacement: ' ', pattern2: '_', replacement2: '', global: true, ignorecase: false, value: { '@path': '$.a' } } },
    skus: { '@arrayPath': ['$.properties.items', { id: { '@path': '$.sku' } }] },
    all: { '@arrayPath': [{ '@path': '$.properties.items' }] },
    merged: { '@merge': { objects: [{ a: 1 }, { '@path': '$.properties' }], direction: 'right' } },
    json: { '@json': { value: { '@path': '$.properties' }, mode: 'encode' } },
    flat: { '@flatten': { value: { '@path': '$.properties' }, separator: '_', omitArrays: true } },
    maybe: { '@excludeWhenNull': { '@path': '$.properties.phone' } },
    withMetadata: { '@path': '$.userId', _metadata: { label: 'User' } },
  };
  assert.equal(validateMapping(mapping, at), []);
  assert.equal(validateMapping({}, ''), []);
});

validate('mapping: mapping_not_object for a mapping that is not an object', () => {
  for (const bad of [null, [], 'x', 3, undefined]) {
    assert.equal(found(bad), [{ path: at, code: 'mapping_not_object' }]);
  }
});

validate('mapping: mapping_unknown_directive at the unknown key', () => {
  assert.equal(found({ email: { '@field': '$.x' } }), one('/email/@field', 'mapping_unknown_directive'));
});

validate('mapping: mapping_multiple_directives at the object mixing keys', () => {
  assert.equal(found({ email: { '@path': '$.a', '@template': 'x' } }), one('/email', 'mapping_multiple_directives'));
  assert.equal(found({ email: { '@path': '$.a', other: 1 } }), one('/email', 'mapping_multiple_directives'));
});

validate('mapping: mapping_invalid_path for paths without "$" or malformed', () => {
  const bad = ['properties.email', '', '$.a..b', '$.a.', '$.a[', "$.a['b']", '$.a[*]', '$.*', '$a'];
  for (const path of bad) assert.equal(found({ x: { '@path': path } }), one('/x/@path', 'mapping_invalid_path'), path);
  assert.equal(found({ x: { '@path': 3 } }), one('/x/@path', 'mapping_invalid_path'));
  assert.equal(found({ x: { '@arrayPath': ['items'] } }), one('/x/@arrayPath/0', 'mapping_invalid_path'));
});

validate('mapping: mapping_invalid_value for values that are not JSON', () => {
  assert.equal(found({ a: () => 1, b: [Number.NaN], c: { d: new Date(0) } }), [
    { path: `${at}/a`, code: 'mapping_invalid_value' },
    { path: `${at}/b/0`, code: 'mapping_invalid_value' },
    { path: `${at}/c/d`, code: 'mapping_invalid_value' },
  ]);
});

validate('mapping: mapping_invalid_argument for @template and @if', () => {
  assert.equal(found({ t: { '@template': 5 } }), one('/t/@template', 'mapping_invalid_argument'));
  assert.equal(found({ i: { '@if': 'yes' } }), one('/i/@if', 'mapping_invalid_argument'));
  assert.equal(found({ i: { '@if': { then: 1 } } }), one('/i/@if', 'mapping_invalid_argument'));
  assert.equal(found({ i: { '@if': { exists: { '@path': '$.a' } } } }), one('/i/@if', 'mapping_invalid_argument'));
  assert.equal(found({ i: { '@if': { exists: 1, blank: 1, then: 1 } } }), one('/i/@if', 'mapping_invalid_argument'));
  assert.equal(found({ i: { '@if': { exists: 1, then: 1, than: 2 } } }), one('/i/@if/than', 'mapping_invalid_argument'));
});

validate('mapping: mapping_invalid_argument for @case', () => {
  assert.equal(found({ c: { '@case': { operator: 'title', value: 'x' } } }), one('/c/@case/operator', 'mapping_invalid_argument'));
  assert.equal(found({ c: { '@case': { value: 'x' } } }), one('/c/@case', 'mapping_invalid_argument'));
  assert.equal(found({ c: { '@case': { operator: 'lower' } } }), one('/c/@case', 'mapping_invalid_argument'));
  assert.equal(found({ c: { '@case': { operator: 'lower', value: 5 } } }), one('/c/@case/value', 'mapping_invalid_argument'));
});

validate('mapping: mapping_invalid_argument for @replace', () => {
  const value = { '@path': '$.a' };
  assert.equal(found({ r: { '@replace': { pattern: 5, value } } }), one('/r/@replace/pattern', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: '', value } } }), one('/r/@replace/pattern', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: 'waytoolongpattern', value } } }), one('/r/@replace/pattern', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { value } } }), one('/r/@replace', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: '-' } } }), one('/r/@replace', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: '-', replacement2: 7, value } } }), one('/r/@replace/replacement2', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: '-', global: 'yes', value } } }), one('/r/@replace/global', 'mapping_invalid_argument'));
  assert.equal(found({ r: { '@replace': { pattern: '-', ignorecase: 1, value } } }), one('/r/@replace/ignorecase', 'mapping_invalid_argument'));
});

validate('mapping: mapping_invalid_argument for @arrayPath', () => {
  assert.equal(found({ a: { '@arrayPath': '$.items' } }), one('/a/@arrayPath', 'mapping_invalid_argument'));
  assert.equal(found({ a: { '@arrayPath': [] } }), one('/a/@arrayPath', 'mapping_invalid_argument'));
  assert.equal(found({ a: { '@arrayPath': ['$.items', {}, {}] } }), one('/a/@arrayPath', 'mapping_invalid_argument'));
  assert.equal(found({ a: { '@arrayPath': ['$.items', 'shape'] } }), one('/a/@arrayPath/1', 'mapping_invalid_argument'));
  assert.equal(found({ a: { '@arrayPath': ['$.items', { id: { '@bad': 1 } }] } }), one('/a/@arrayPath/1/id/@bad', 'mapping_unknown_directive'));
});

validate('mapping: mapping_invalid_argument for @merge', () => {
  assert.equal(found({ m: { '@merge': [{}, {}] } }), one('/m/@merge', 'mapping_invalid_argument'));
  assert.equal(found({ m: { '@merge': { objects: [{}] } } }), one('/m/@merge', 'mapping_invalid_argument'));
  assert.equal(found({ m: { '@merge': { objects: [{}], direction: 'up' } } }), one('/m/@merge/direction', 'mapping_invalid_argument'));
  assert.equal(found({ m: { '@merge': { objects: { a: 1 }, direction: 'left' } } }), one('/m/@merge/objects', 'mapping_invalid_argument'));
  assert.equal(found({ m: { '@merge': { objects: [{}, 123], direction: 'left' } } }), one('/m/@merge/objects/1', 'mapping_invalid_argument'));
});

validate('mapping: mapping_invalid_argument for @json and @flatten', () => {
  assert.equal(found({ j: { '@json': { value: 'x', mode: 'oops' } } }), one('/j/@json/mode', 'mapping_invalid_argument'));
  assert.equal(found({ j: { '@json': { mode: 'encode' } } }), one('/j/@json', 'mapping_invalid_argument'));
  assert.equal(found({ j: { '@json': 'x' } }), one('/j/@json', 'mapping_invalid_argument'));
  assert.equal(found({ f: { '@flatten': { value: 'x' } } }), one('/f/@flatten', 'mapping_invalid_argument'));
  assert.equal(found({ f: { '@flatten': { value: 'x', separator: { '@path': '$.s' } } } }), one('/f/@flatten/separator', 'mapping_invalid_argument'));
  assert.equal(found({ f: { '@flatten': { value: 'x', separator: '.', omitArrays: 'yes' } } }), one('/f/@flatten/omitArrays', 'mapping_invalid_argument'));
  assert.equal(found({ f: { '@flatten': { separator: '.' } } }), one('/f/@flatten', 'mapping_invalid_argument'));
});

validate('mapping: directives nested inside arguments are checked too', () => {
  assert.equal(found({ x: { '@excludeWhenNull': { '@path': 'nope' } } }), one('/x/@excludeWhenNull/@path', 'mapping_invalid_path'));
  assert.equal(found({ x: { '@literal': { a: { '@nope': 1 } } } }), one('/x/@literal/a/@nope', 'mapping_unknown_directive'));
  assert.equal(found({ x: { '@if': { exists: { '@path': 'a' }, then: 1 } } }), one('/x/@if/exists/@path', 'mapping_invalid_path'));
});

validate('mapping: pointers escape "~" and "/" in keys (RFC 6901)', () => {
  assert.equal(found({ 'a/b': { 'c~d': { '@path': 'x' } } }), one('/a~1b/c~0d/@path', 'mapping_invalid_path'));
});

validate('mapping: several mistakes in one mapping are all reported', () => {
  const issues: MappingIssue[] = validateMapping(
    {
      email: { '@path': 'properties.email' },
      greet: { '@template': 'Hi', '@literal': 'x' },
      shout: { '@case': { operator: 'title', value: 'x' } },
      odd: { '@bogus': 1 },
      list: [{ '@json': { value: 1, mode: 'zip' } }],
    },
    at,
  );
  assert.equal(
    issues.map(({ path, code }) => ({ path, code })),
    [
      { path: `${at}/email/@path`, code: 'mapping_invalid_path' },
      { path: `${at}/greet`, code: 'mapping_multiple_directives' },
      { path: `${at}/shout/@case/operator`, code: 'mapping_invalid_argument' },
      { path: `${at}/odd/@bogus`, code: 'mapping_unknown_directive' },
      { path: `${at}/list/0/@json/mode`, code: 'mapping_invalid_argument' },
    ],
  );
  for (const { message } of issues) assert.match(message, /^[A-Z"@].*\.$/);
});

validate('mapping: MAPPING_ISSUE_CODES lists every code, snake_case and prefixed', () => {
  assert.equal(Object.keys(MAPPING_ISSUE_CODES).sort(), [
    'mapping_invalid_argument',
    'mapping_invalid_path',
    'mapping_invalid_value',
    'mapping_multiple_directives',
    'mapping_not_object',
    'mapping_unknown_directive',
  ]);
  for (const [code, description] of Object.entries(MAPPING_ISSUE_CODES)) {
    assert.match(code, /^mapping_[a-z_]+$/);
    assert.ok(description.length > 0);
  }
});

validate.run();
