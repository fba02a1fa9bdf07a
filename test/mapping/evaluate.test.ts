import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mapPayload, validateMapping, type Mapping } from '../../src/mapping/index.js';

const payload = {
  type: 'track',
  event: 'Order Completed',
  userId: 'u1',
  context: { traits: null },
  integrations: { 'Actions Amplitude': { session_id: 42 } },
  properties: {
    email: 'Ann@Example.com',
    first_name: 'Ann',
    empty: '',
    zero: 0,
    nothing: null,
    flag: false,
    total: 120.5,
    tags: ['a', 'b'],
    address: { city: 'Lyon', zip: null, geo: { lat: 1, lng: null } },
    items: [
      { sku: 'x1', price: 20 },
      { sku: 'x2', price: 100.5 },
    ],
  },
};

const map = (mapping: Mapping, data: unknown = payload) => mapPayload(mapping, data);

const evaluate = suite('mapping: evaluate');

evaluate('mapping: literal values pass through, undefined is dropped and null is kept', () => {
  assert.equal(map({ a: 1, b: 'x', c: true, d: null, e: undefined }), { a: 1, b: 'x', c: true, d: null });
  assert.equal(map({}), {});
});

evaluate('mapping: @path reads nested values', () => {
  assert.equal(map({ email: { '@path': '$.properties.email' }, city: { '@path': '$.properties.address.city' } }), {
    email: 'Ann@Example.com',
    city: 'Lyon',
  });
});

evaluate('mapping: @path reads array indexes, spaced names and the root', () => {
  const result = map({
    sku: { '@path': '$.properties.items[1].sku' },
    dotted: { '@path': '$.properties.items.0.sku' },
    session: { '@path': '$.integrations.Actions Amplitude.session_id' },
    count: { '@path': '$.properties.items.length' },
  });
  assert.equal(result, { sku: 'x2', dotted: 'x1', session: 42, count: 2 });
  assert.equal(map({ all: { '@path': '$.' } }, { a: 1 }), { all: { a: 1 } });
  assert.equal(map({ all: { '@path': '$' } }, { a: 1 }), { all: { a: 1 } });
});

evaluate('mapping: @path leaves out missing values and keeps null ones', () => {
  const result = map({
    missing: { '@path': '$.properties.nope' },
    deep: { '@path': '$.properties.nope.deeper' },
    nul: { '@path': '$.properties.nothing' },
    // Segment's reader stops on a falsy value and returns it: under `traits: null` you get null.
    underNull: { '@path': '$.context.traits.email' },
    proto: { '@path': '$.properties.constructor' },
  });
  assert.equal(result, { nul: null, underNull: null });
});

evaluate('mapping: @path accepts a directive computing the path', () => {
  assert.equal(map({ v: { '@path': { '@path': '$.which' } } }, { which: '$.b', b: 'B' }), { v: 'B' });
});

evaluate('mapping: @template renders placeholders, missing values as empty string', () => {
  const result = map({
    hi: { '@template': 'Hi {{properties.first_name}} {{ properties.last_name }}!' },
    raw: { '@template': '{{{properties.first_name}}}' },
    types: { '@template': '{{properties.total}}/{{properties.flag}}/{{properties.nothing}}/{{properties.address}}' },
    html: { '@template': '<b>{{v}}</b>' },
  });
  assert.equal(result.hi, 'Hi Ann !');
  assert.equal(result.raw, 'Ann');
  assert.equal(result.types, '120.5/false//[object Object]');
  assert.equal(map({ html: { '@template': '<b>{{v}}</b>' } }, { v: '<i>"x"</i>' }), { html: '<b><i>"x"</i></b>' });
  assert.equal(map({ t: { '@template': '{{foo}}}' } }, { foo: 'hello' }), { t: 'hello}' });
});

evaluate('mapping: @literal returns its value and resolves directives inside it', () => {
  assert.equal(map({ f: { '@literal': false }, o: { '@literal': { a: { '@path': '$.userId' }, b: { '@path': '$.x' } } } }), {
    f: false,
    o: { a: 'u1' },
  });
});

evaluate('mapping: @if with exists picks then or else', () => {
  const cond = (path: string) => ({ '@if': { exists: { '@path': path }, then: 'yes', else: 'no' } });
  assert.equal(map({ a: cond('$.userId'), b: cond('$.nope'), c: cond('$.properties.nothing'), d: cond('$.properties.empty') }), {
    a: 'yes',
    b: 'no',
    c: 'no',
    d: 'yes',
  });
});

evaluate('mapping: @if with blank treats "", 0, false, null and missing as blank', () => {
  const cond = (path: string) => ({ '@if': { blank: { '@path': path }, then: 1, else: 2 } });
  assert.equal(
    map({ a: cond('$.userId'), b: cond('$.properties.empty'), c: cond('$.properties.zero'), d: cond('$.properties.flag'), e: cond('$.nope'), f: cond('$.properties.nothing') }),
    { a: 1, b: 2, c: 2, d: 2, e: 2, f: 2 },
  );
});

evaluate('mapping: @if drops the key when the branch is absent or the else value is falsy (Segment quirk)', () => {
  assert.equal(
    map({
      noElse: { '@if': { exists: { '@path': '$.nope' }, then: 1 } },
      falseElse: { '@if': { exists: { '@path': '$.nope' }, then: true, else: false } },
      nullElse: { '@if': { exists: { '@path': '$.nope' }, then: 1, else: null } },
      directiveThen: { '@if': { exists: { '@path': '$.userId' }, then: { '@path': '$.userId' } } },
    }),
    { directiveThen: 'u1' },
  );
});

evaluate('mapping: @case lowers and uppers strings and passes other values through', () => {
  assert.equal(
    map({
      lower: { '@case': { operator: 'lower', value: { '@path': '$.properties.email' } } },
      upper: { '@case': { operator: 'upper', value: 'abc' } },
      num: { '@case': { operator: 'upper', value: { '@path': '$.properties.total' } } },
      nul: { '@case': { operator: 'upper', value: { '@path': '$.properties.nothing' } } },
      missing: { '@case': { operator: 'upper', value: { '@path': '$.nope' } } },
    }),
    { lower: 'ann@example.com', upper: 'ABC', num: 120.5, nul: null },
  );
});

evaluate('mapping: @replace replaces literally, globally by default, with pattern2', () => {
  const replace = (args: Record<string, unknown>, a: unknown) => map({ r: { '@replace': { value: { '@path': '$.a' }, ...args } } }, { a }).r;
  assert.is(replace({ pattern: '+', replacement: '_' }, 'many+different+things'), 'many_different_things');
  assert.is(replace({ pattern: '+', replacement: '_', global: false }, 'many+different+things'), 'many_different+things');
  assert.is(replace({ pattern: 'AaB', replacement: 'x', ignorecase: true }, 'aab-AaB-AAB'), 'x-x-x');
  assert.is(replace({ pattern: 'WW', replacement: 'oo' }, 'cWWl-ww'), 'cool-ww');
  assert.is(replace({ pattern: 'many+' }, 'many+things'), 'things');
  assert.is(replace({ pattern: '-', replacement: ' ', pattern2: 'great', replacement2: 'awesome' }, 'so-great!'), 'so awesome!');
  assert.is(replace({ pattern: 'true', replacement: 'granted' }, true), 'granted');
  assert.is(replace({ pattern: '1', replacement: 'one' }, 1), 'one');
  assert.is(replace({ pattern: '.', replacement: '' }, 'a.b.c'), 'abc');
  assert.is(replace({ pattern: '_', replacement: '+' }, null), '');
  assert.is(replace({ pattern: '_', replacement: '+' }, undefined), '');
});

evaluate('mapping: @arrayPath returns the array, or maps each item through the item shape', () => {
  assert.equal(map({ items: { '@arrayPath': ['$.properties.items'] } }).items, payload.properties.items);
  assert.equal(map({ items: { '@arrayPath': ['$.properties.items', { id: { '@path': '$.sku' }, kind: 'product', none: { '@path': '$.x' } }] } }), {
    items: [
      { id: 'x1', kind: 'product' },
      { id: 'x2', kind: 'product' },
    ],
  });
  // A single object is treated as a one-item array; a missing root leaves the key out.
  assert.equal(map({ one: { '@arrayPath': ['$.properties.address', { c: { '@path': '$.city' } }] } }), { one: [{ c: 'Lyon' }] });
  assert.equal(map({ gone: { '@arrayPath': ['$.nope', { c: { '@path': '$.city' } }] } }), {});
  // The shape may itself be a directive, and the path may be computed.
  assert.equal(map({ skus: { '@arrayPath': [{ '@path': '$.properties.items' }, { '@path': '$.sku' }] } }), { skus: ['x1', 'x2'] });
});

evaluate('mapping: @merge merges objects, right wins by default and left keeps the first', () => {
  const objects = [{ cool: true, hey: 'there' }, { '@path': '$.foo' }, { '@path': '$.nope' }];
  const data = { foo: { bar: 'baz', hey: 'you' } };
  assert.equal(map({ m: { '@merge': { objects, direction: 'right' } } }, data), { m: { cool: true, hey: 'you', bar: 'baz' } });
  assert.equal(map({ m: { '@merge': { objects, direction: 'left' } } }, data), { m: { bar: 'baz', hey: 'there', cool: true } });
  assert.equal(map({ m: { '@merge': { objects: [], direction: 'left' } } }), { m: {} });
});

evaluate('mapping: @json encodes and decodes', () => {
  const data = { o: { bar: 'baz' }, s: '{"bar":"baz"}', n: 123, bad: '{oops' };
  assert.equal(
    map(
      {
        enc: { '@json': { mode: 'encode', value: { '@path': '$.o' } } },
        dec: { '@json': { mode: 'decode', value: { '@path': '$.s' } } },
        num: { '@json': { mode: 'decode', value: { '@path': '$.n' } } },
        missing: { '@json': { mode: 'encode', value: { '@path': '$.nope' } } },
        bad: { '@json': { mode: 'decode', value: { '@path': '$.bad' } } },
      },
      data,
    ),
    { enc: '{"bar":"baz"}', dec: { bar: 'baz' }, num: 123 },
  );
});

evaluate('mapping: @flatten flattens objects and arrays with a separator', () => {
  const data = { foo: { bar: 'baz', aces: { a: 1, b: [{ c: 2 }] } } };
  assert.equal(map({ f: { '@flatten': { value: { '@path': '$.foo' }, separator: '.' } } }, data), {
    f: { bar: 'baz', 'aces.a': 1, 'aces.b.0.c': 2 },
  });
  assert.equal(map({ f: { '@flatten': { value: { '@path': '$.foo' }, separator: '/', omitArrays: true } } }, data), {
    f: { bar: 'baz', 'aces/a': 1, 'aces/b': [{ c: 2 }] },
  });
  assert.equal(map({ f: { '@flatten': { value: { '@path': '$.nope' }, separator: '.' } } }, data), { f: {} });
});

evaluate('mapping: @excludeWhenNull drops null values, and null fields at any depth of an object', () => {
  assert.equal(
    map({
      gone: { '@excludeWhenNull': { '@path': '$.properties.nothing' } },
      kept: { '@excludeWhenNull': { '@path': '$.properties.zero' } },
      address: { '@excludeWhenNull': { '@path': '$.properties.address' } },
      list: { '@excludeWhenNull': { '@literal': [null, 1] } },
    }),
    { kept: 0, address: { city: 'Lyon', geo: { lat: 1 } }, list: [null, 1] },
  );
});

evaluate('mapping: nested objects are mapped recursively', () => {
  assert.equal(map({ user: { id: { '@path': '$.userId' }, contact: { email: { '@path': '$.properties.email' }, phone: { '@path': '$.x' } } } }), {
    user: { id: 'u1', contact: { email: 'Ann@Example.com' } },
  });
});

evaluate('mapping: arrays map element-wise', () => {
  assert.equal(map({ list: [{ '@path': '$.userId' }, 'fixed', { k: { '@path': '$.event' } }, null] }), {
    list: ['u1', 'fixed', { k: 'Order Completed' }, null],
  });
  // JSON has no undefined: a missing element is sent as null, as Segment's output serialises.
  assert.equal(map({ list: [{ '@path': '$.nope' }] }), { list: [null] });
});

evaluate('mapping: a root directive producing an object is the result', () => {
  assert.equal(map({ '@path': '$.properties.address.geo' }), { lat: 1, lng: null });
  assert.equal(map({ '@path': '$.userId' }), {});
});

evaluate('mapping: results never share objects with the payload, and the payload is untouched', () => {
  const data = { a: { b: 1 } };
  const before = JSON.stringify(data);
  const out = map({ a: { '@path': '$.a' } }, data) as { a: { b: number } };
  out.a.b = 2;
  assert.is(JSON.stringify(data), before);
});

evaluate('mapping: a __proto__ key is an ordinary key', () => {
  const out = map(JSON.parse('{"__proto__": {"@path": "$.userId"}}') as Mapping);
  assert.equal(Object.keys(out), ['__proto__']);
  assert.is(Object.getPrototypeOf(out), Object.prototype);
});

evaluate.run();

type Vectors = { mapping: { input: unknown; cases: Array<{ mapping: Mapping; result: unknown }> } };
const vectors = JSON.parse(readFileSync(new URL('../../../shared/spec/vectors.json', import.meta.url), 'utf8')) as Vectors;

const shared = suite('mapping: shared vectors');

shared('mapping: shared vectors have cases', () => {
  assert.ok(vectors.mapping.cases.length > 0);
});

vectors.mapping.cases.forEach((testCase, index) => {
  shared(`mapping: vector ${index} matches Segment's mapping kit and is valid`, () => {
    assert.equal(validateMapping(testCase.mapping, ''), []);
    assert.equal(mapPayload(testCase.mapping, vectors.mapping.input), testCase.result);
  });
});

shared.run();
