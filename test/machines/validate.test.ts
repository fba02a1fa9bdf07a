import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ISSUE_CODES } from '../../src/machines/issue-codes.js';
import { validateJourney, type ValidationContext } from '../../src/machines/validate.js';
import { clone, example } from '../helpers/fixtures.js';

const test = suite('machines/validate');
const base = () => clone(example('cart-abandonment')) as any;
const issuesOf = (definition: unknown, context?: ValidationContext) => validateJourney(definition, context).issues;
const has = (definition: unknown, path: string, code: string, context?: ValidationContext) => {
  const issues = issuesOf(definition, context);
  assert.ok(issues.some((i) => i.path === path && i.code === code), `expected ${code} at ${path}, got ${JSON.stringify(issues)}`);
};

test('validate: the three examples are valid', () => {
  for (const name of ['cart-abandonment', 'content-follow-up', 'form-forwarding'] as const) {
    const result = validateJourney(example(name));
    assert.equal(result.issues, [], name);
    assert.ok(result.valid);
  }
});

test('validate: known destinations and audiences pass', () => {
  assert.ok(validateJourney(example('cart-abandonment'), { destinations: ['crm-webhook'], audiences: [] }).valid);
});

/** One case per code: a change to a valid definition and where the issue must be reported. */
const cases: Record<string, { make: () => unknown; path: string; context?: ValidationContext }> = {
  not_object: { make: () => [1, 2], path: '' },
  missing_field: { make: () => { const d = base(); delete d.start; return d; }, path: '/start' },
  invalid_type: { make: () => { const d = base(); d.steps = 'x'; return d; }, path: '/steps' },
  unknown_field: { make: () => { const d = base(); d.steps[0].maxDuraton = '1h'; return d; }, path: '/steps/0/maxDuraton' },
  invalid_journey_id: { make: () => { const d = base(); d.id = 'Cart Abandonment'; return d; }, path: '/id' },
  name_too_long: { make: () => { const d = base(); d.name = 'x'.repeat(201); return d; }, path: '/name' },
  invalid_step_id: { make: () => { const d = base(); d.steps[3].id = 'nudge!'; return d; }, path: '/steps/3/id' },
  duplicate_step_id: { make: () => { const d = base(); d.steps[3].id = 'big-cart'; return d; }, path: '/steps/3/id' },
  duplicate_branch_id: { make: () => { const d = base(); d.steps[1].branches[0].id = 'purchased'; return d; }, path: '/steps/1/branches/0/id' },
  unknown_step_type: { make: () => { const d = base(); d.steps[3].type = 'email'; return d; }, path: '/steps/3/type' },
  unknown_step: { make: () => { const d = base(); d.steps[1].otherwise = 'nudgee'; return d; }, path: '/steps/1/otherwise' },
  unreachable_step: { make: () => { const d = base(); d.steps[1].otherwise = 'nudge-with-coupon'; return d; }, path: '/steps/3' },
  zero_time_cycle: { make: () => { const d = base(); d.steps[3].next = 'big-cart'; return d; }, path: '/steps/3/next' },
  invalid_duration: { make: () => { const d = base(); d.steps[0].maxDuration = '1H'; return d; }, path: '/steps/0/maxDuration' },
  invalid_percent: { make: () => { const d = clone(example('content-follow-up')) as any; d.steps[1].branches[0].percent = 50.5; return d; }, path: '/steps/1/branches/0/percent' },
  percents_not_100: { make: () => { const d = clone(example('content-follow-up')) as any; d.steps[1].branches[0].percent = 40; return d; }, path: '/steps/1/branches' },
  no_branches: { make: () => { const d = base(); d.steps[0].branches = []; return d; }, path: '/steps/0/branches' },
  too_many_steps: {
    make: () => {
      const d = base();
      for (let i = 0; i < 100; i++) d.steps.push({ id: `s${i}`, type: 'exit' });
      return d;
    },
    path: '/steps/100',
  },
  too_many_branches: {
    make: () => {
      const d = base();
      d.steps[0].branches = Array.from({ length: 11 }, (_, i) => ({ id: `b${i}`, event: `e${i}`, next: null }));
      return d;
    },
    path: '/steps/0/branches/10',
  },
  invalid_reentry: { make: () => { const d = base(); d.entry.reentry = 'always'; return d; }, path: '/entry/reentry' },
  unique_identifier_with_once: { make: () => { const d = base(); d.entry.reentry = 'once'; return d; }, path: '/entry/uniqueIdentifier' },
  invalid_path: { make: () => { const d = base(); d.entry.uniqueIdentifier = 'session..id'; return d; }, path: '/entry/uniqueIdentifier' },
  invalid_event_name: { make: () => { const d = base(); d.entry.event = ''; return d; }, path: '/entry/event' },
  invalid_alias: { make: () => { const d = base(); d.steps[0].branches[0].alias = 'purchase.done'; return d; }, path: '/steps/0/branches/0/alias' },
  invalid_operator: { make: () => { const d = base(); d.entry.filters = [{ property: 'total', greaterThan: 5 }]; return d; }, path: '/entry/filters/0' },
  invalid_operand: { make: () => { const d = base(); d.entry.filters = [{ property: 'total', gt: '5' }]; return d; }, path: '/entry/filters/0/gt' },
  invalid_condition: { make: () => { const d = base(); d.steps[1].branches[0].when = { attribute: 'plan', equals: 'x' }; return d; }, path: '/steps/1/branches/0/when' },
  unknown_context_key: { make: () => { const d = base(); d.steps[1].branches[0].when.context = 'checkout.properties.total'; return d; }, path: '/steps/1/branches/0/when/context' },
  match_unique_identifier_without_identifier: {
    make: () => { const d = base(); delete d.entry.uniqueIdentifier; d.exitRules[0].matchUniqueIdentifier = true; return d; },
    path: '/exitRules/0/matchUniqueIdentifier',
  },
  unknown_destination: { make: base, path: '/steps/2/destination', context: { destinations: ['email'] } },
  unknown_audience: { make: () => { const d = base(); d.entry.audience = 'vip'; return d; }, path: '/entry/audience', context: { audiences: ['high-value'] } },
};

test('validate: every issue code has a case here (the registry stays honest)', () => {
  const fileLevel = ['invalid_json', 'unreadable_file']; // reported by the CLI's file loading, tested there
  const missing = Object.keys(ISSUE_CODES).filter((code) => !(code in cases) && !fileLevel.includes(code));
  assert.equal(missing, []);
});

for (const [code, c] of Object.entries(cases)) {
  test(`validate: ${code} is reported at ${c.path || '(root)'}`, () => {
    has(c.make(), c.path, code, c.context);
  });
}

test('validate: unknown destinations and audiences are only checked when known ones are given', () => {
  const d = base();
  d.entry.audience = 'vip';
  assert.ok(validateJourney(d).valid);
});

test('validate: a mapping that is not mapping-kit is reported with the mapping code', () => {
  const d = base();
  d.steps[2].mapping.email = { '@paht': '$.properties.email' };
  has(d, '/steps/2/mapping/email/@paht', 'mapping_unknown_directive');
});

test('validate: a definition with a dozen different mistakes reports every one at its pointer', () => {
  const d = base();
  d.id = 'Bad Id';                                             // 1 invalid_journey_id
  d.entry.reentry = 'once';                                    // 2 unique_identifier_with_once
  d.entry.filters = [{ property: 'total', gt: 'ten' }];        // 3 invalid_operand
  d.steps[0].maxDuration = '2 hours';                          // 4 invalid_duration
  d.steps[0].branches[0].next = 'thank-you';                   // 5 unknown_step
  d.steps[1].branches[0].when = { context: 'cart.total', gte: 1 }; // 6 unknown_context_key
  d.steps[2].mapping.cart = { '@path': 'properties.cart' };    // 7 mapping_invalid_path
  d.steps[3].type = 'sms';                                     // 8 unknown_step_type
  d.steps.push({ id: 'nudge', type: 'exit' });                 // 9 duplicate_step_id
  d.steps.push({ id: 'orphan', type: 'delay', duration: '1h', next: null }); // 10 unreachable_step
  d.steps.push({ id: 'split', type: 'random_split', branches: [{ id: 'a', percent: 30, next: null }] }); // 11 percents_not_100 (+ unreachable)
  d.exitRules[0].event = 42;                                   // 12 invalid_event_name
  d.colour = 'blue';                                           // 13 unknown_field
  const issues = issuesOf(d);
  const expected: [string, string][] = [
    ['/id', 'invalid_journey_id'],
    ['/entry/uniqueIdentifier', 'unique_identifier_with_once'],
    ['/entry/filters/0/gt', 'invalid_operand'],
    ['/steps/0/maxDuration', 'invalid_duration'],
    ['/steps/0/branches/0/next', 'unknown_step'],
    ['/steps/1/branches/0/when/context', 'unknown_context_key'],
    ['/steps/2/mapping/cart/@path', 'mapping_invalid_path'],
    ['/steps/3/type', 'unknown_step_type'],
    ['/steps/4/id', 'duplicate_step_id'],
    ['/steps/5', 'unreachable_step'],
    ['/steps/6/branches', 'percents_not_100'],
    ['/exitRules/0/event', 'invalid_event_name'],
    ['/colour', 'unknown_field'],
  ];
  for (const [path, code] of expected) {
    assert.ok(issues.some((i) => i.path === path && i.code === code), `missing ${code} at ${path} in ${JSON.stringify(issues, null, 1)}`);
  }
  for (const issue of issues) assert.ok(issue.message.length > 10, 'every issue has a sentence');
});

test('validate: never throws, whatever the input', () => {
  for (const input of [null, undefined, 42, 'x', [], {}, { steps: [null, 1, 'x', []] }, { entry: [], steps: [{ type: 'hold_until', branches: [null] }] }]) {
    const result = validateJourney(input);
    assert.not.ok(result.valid);
  }
});

test('validate: cycles through a wait are allowed, zero-time ones are not', () => {
  const d = base();
  d.steps[2].next = 'wait-for-purchase'; // send → back to the hold: passes through a wait
  assert.ok(validateJourney(d).valid, JSON.stringify(validateJourney(d).issues));
  const e = base();
  e.steps.push({ id: 'loop', type: 'data_split', branches: [{ id: 'again', when: { trait: 'x', exists: true }, next: 'loop' }], otherwise: null });
  e.steps[3].next = 'loop';
  has(e, '/steps/4/branches/0/next', 'zero_time_cycle');
});

test('validate: paths join (several steps pointing at one) are valid', () => {
  const d = base();
  d.steps[1].branches[0].next = 'nudge';
  d.steps.splice(2, 1);
  assert.ok(validateJourney(d).valid, JSON.stringify(validateJourney(d).issues));
});

test.run();
