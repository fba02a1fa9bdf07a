import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { matchesFilters, firstFailingFilter } from '../../src/machines/filters.js';
import { evaluateCondition } from '../../src/machines/conditions.js';

const test = suite('machines/filters');
const props = { plan: 'pro', total: 120, code: '99', tags: ['a', { b: 1 }], cart: { items: 2, meta: { x: [1, 2] } }, nothing: null };
const one = (filter: Record<string, unknown>) => matchesFilters([{ property: 'x', ...filter } as never], props)
  || false;
const at = (property: string, op: Record<string, unknown>) => matchesFilters([{ property, ...op } as never], props);

test('filters: equals is strict and deep', () => {
  assert.ok(at('plan', { equals: 'pro' }));
  assert.not.ok(at('code', { equals: 99 }));
  assert.ok(at('code', { equals: '99' }));
  assert.ok(at('cart.meta', { equals: { x: [1, 2] } }));
  assert.not.ok(at('cart.meta', { equals: { x: [2, 1] } }));
  assert.not.ok(one({ equals: 'anything' }));
});

test('filters: equalsAnyOf, notEquals', () => {
  assert.ok(at('plan', { equalsAnyOf: ['team', 'pro'] }));
  assert.not.ok(at('plan', { equalsAnyOf: ['team'] }));
  assert.ok(at('plan', { notEquals: 'team' }));
  assert.not.ok(at('plan', { notEquals: 'pro' }));
});

test('filters: a missing or null property makes notEquals and exists:false true, all else false', () => {
  for (const path of ['missing', 'nothing', 'cart.none.deeper']) {
    assert.ok(at(path, { notEquals: 'x' }), path);
    assert.ok(at(path, { exists: false }), path);
    assert.not.ok(at(path, { exists: true }), path);
    assert.not.ok(at(path, { equals: null }), path);
    assert.not.ok(at(path, { equalsAnyOf: [null] }), path);
    assert.not.ok(at(path, { gt: -1 }), path);
    assert.not.ok(at(path, { contains: 'x' }), path);
  }
  assert.ok(at('plan', { exists: true }));
});

test('filters: numeric operators compare numbers only', () => {
  assert.ok(at('total', { gt: 100 }));
  assert.ok(at('total', { gte: 120 }));
  assert.not.ok(at('total', { lt: 120 }));
  assert.ok(at('total', { lte: 120 }));
  assert.not.ok(at('code', { gt: 1 }), '"99" is not a number');
});

test('filters: contains is a substring or an array element (deep)', () => {
  assert.ok(at('plan', { contains: 'r' }));
  assert.not.ok(at('plan', { contains: 'x' }));
  assert.ok(at('tags', { contains: 'a' }));
  assert.ok(at('tags', { contains: { b: 1 } }));
  assert.not.ok(at('total', { contains: '1' }));
});

test('filters: all filters must hold; the first failing one is named', () => {
  const filters = [{ property: 'plan', equals: 'pro' }, { property: 'total', gt: 500 }] as never[];
  assert.not.ok(matchesFilters(filters, props));
  assert.is(firstFailingFilter(filters, props)?.property, 'total');
  assert.ok(matchesFilters(undefined, props));
});

test('conditions: trait, context, audience, all, any, not', () => {
  const env = {
    traits: { plan: 'pro', age: 30 },
    journeyContext: { checkout_started: { properties: { total: 150 } } },
    isMember: (id: string) => id === 'vip',
  };
  assert.ok(evaluateCondition({ trait: 'plan', equals: 'pro' }, env));
  assert.ok(evaluateCondition({ context: 'checkout_started.properties.total', gte: 100 }, env));
  assert.not.ok(evaluateCondition({ context: 'other.properties.total', gte: 100 }, env));
  assert.ok(evaluateCondition({ audience: 'vip', member: true }, env));
  assert.ok(evaluateCondition({ audience: 'other', member: false }, env));
  assert.ok(evaluateCondition({ all: [{ trait: 'age', gt: 18 }, { not: { trait: 'plan', equals: 'free' } }] }, env));
  assert.not.ok(evaluateCondition({ any: [{ trait: 'age', lt: 18 }, { audience: 'vip', member: false }] }, env));
});

test.run();
