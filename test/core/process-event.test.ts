import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { messageIdOf } from '../../src/machines/hashing.js';
import type { JourneyDefinition } from '../../src/machines/types.js';
import { example } from '../helpers/fixtures.js';
import { HOUR, iso, identify, MIN, ofKind, simulate, T0, track } from '../helpers/scenario.js';

const test = suite('core/process-event');

const restartable = (): JourneyDefinition => {
  const definition = structuredClone(example('cart-abandonment'));
  (definition.steps[0] as any).restartOnEntryEvent = true;
  definition.entry.filters = [{ property: 'total', gt: 0 }];
  return definition;
};
const checkout = (offset: number, total = 10, session = 's1') => track('u1', 'checkout_started', offset, { session_id: session, total });

test('hold restart: a repeat of the entry event restarts the timer from its arrival and replaces the context', () => {
  const lines = simulate({ journeys: [restartable()] }, [checkout(0, 10), checkout(40 * MIN, 20)]);
  assert.equal(lines.map((l) => l.kind), ['enter', 'restart', 'send', 'exit']);
  const send = ofKind(lines, 'send')[0]!;
  assert.is(send.at, iso(T0 + 100 * MIN));
  assert.is((send.payload as any).properties.journey_context.checkout_started.properties.total, 20);
  assert.is((send.payload as any).messageId, messageIdOf(String(lines[0]!.instance), 'nudge', 1), 'visit 1: the restart is not a new arrival');
});

test('hold restart: a repeat that fails the entry filters or carries another session does not restart', () => {
  const lines = simulate({ journeys: [restartable()] }, [checkout(0, 10), checkout(40 * MIN, 0), checkout(50 * MIN, 10, 's2')]);
  assert.is(ofKind(lines, 'restart').length, 0);
  const sends = ofKind(lines, 'send');
  assert.equal(sends.map((s) => s.at), [iso(T0 + HOUR), iso(T0 + 110 * MIN)]);
});

test('hold restart: after 100 restarts, repeats are ignored', () => {
  const events = [checkout(0)];
  for (let i = 1; i <= 105; i++) events.push(checkout(i * 1000));
  const lines = simulate({ journeys: [restartable()] }, events);
  assert.is(ofKind(lines, 'restart').length, 100);
  assert.is(ofKind(lines, 'send')[0]!.at, iso(T0 + 100_000 + HOUR));
});

test('exit rules: the send of a matching rule goes out once per ended instance, with the exit event in the context', () => {
  const definition = structuredClone(example('cart-abandonment'));
  definition.exitRules = [
    { event: 'account_deleted', filters: [{ property: 'reason', equals: 'fraud' }] },
    { event: 'account_deleted', send: { destination: 'crm-webhook', eventName: 'Journey Left', mapping: { why: { '@path': '$.properties.journey_context.account_deleted.properties.reason' } } } },
  ];
  const lines = simulate({ journeys: [definition] }, [
    checkout(0, 10, 's1'), checkout(MIN, 10, 's2'),
    track('u1', 'account_deleted', 5 * MIN, { reason: 'request' }),
  ]);
  const sends = ofKind(lines, 'send');
  assert.is(sends.length, 2);
  assert.ok(sends.every((s) => s.step === 'exit-1' && (s.payload as any).why === 'request'));
  assert.equal(ofKind(lines, 'exit').map((l) => l.reason), ['exited', 'exited']);
});

test('exit rules: matchUniqueIdentifier ends only the instance with that identifier; the first matching rule wins', () => {
  const definition = structuredClone(example('cart-abandonment'));
  definition.exitRules = [{ event: 'cart_emptied', matchUniqueIdentifier: true }];
  const lines = simulate({ journeys: [definition] }, [
    checkout(0, 10, 's1'), checkout(MIN, 10, 's2'),
    track('u1', 'cart_emptied', 5 * MIN, { session_id: 's2' }),
  ]);
  const exits = ofKind(lines, 'exit');
  assert.equal(exits.map((l) => l.reason), ['exited', 'completed']);
  assert.is(ofKind(lines, 'send').length, 1);
});

test('entry: an audience on the entry admits members only, with the reason for the others', () => {
  const definition = structuredClone(example('form-forwarding'));
  definition.entry.audience = 'pros';
  const audiences = [{ id: 'pros', condition: { trait: 'plan', equals: 'pro' } }];
  const lines = simulate({ journeys: [definition], audiences }, [
    identify('a', { plan: 'pro' }, -MIN), identify('b', { plan: 'free' }, -MIN),
    track('a', 'form_submitted', 0, { submission_id: '1' }),
    track('b', 'form_submitted', 0, { submission_id: '1' }),
  ], { explain: true });
  assert.equal(ofKind(lines, 'enter').map((l) => l.userId), ['a']);
  assert.equal(ofKind(lines, 'skip').map((l) => [l.userId, l.reason]), [['b', 'not_in_audience']]);
});

test('entry: a managed audience admits its listed members', () => {
  const definition = structuredClone(example('form-forwarding'));
  definition.entry.audience = 'beta';
  const lines = simulate({ journeys: [definition], audiences: [{ id: 'beta', members: ['m'] }] }, [
    track('m', 'form_submitted', 0, { submission_id: '1' }), track('n', 'form_submitted', 0, { submission_id: '1' }),
  ]);
  assert.equal(ofKind(lines, 'enter').map((l) => l.userId), ['m']);
});

test('entry: the per-profile cap of active instances', () => {
  const events = Array.from({ length: 4 }, (_, i) => checkout(i * 1000, 10, `s${i}`));
  const lines = simulate({ journeys: [example('cart-abandonment')], maxActiveInstancesPerProfile: 3 }, events, { explain: true });
  assert.is(ofKind(lines, 'enter').length, 3);
  assert.equal(ofKind(lines, 'skip').map((l) => l.reason), ['instance_cap']);
});

test('entry: every_time without an identifier allows one active instance per profile', () => {
  const definition = structuredClone(example('content-follow-up'));
  definition.entry = { event: 'content_downloaded' };
  const lines = simulate({ journeys: [definition] }, [
    track('u1', 'content_downloaded', 0), track('u1', 'content_downloaded', HOUR), track('u1', 'content_downloaded', 30 * HOUR),
  ], { explain: true });
  assert.is(ofKind(lines, 'enter').length, 2);
  assert.equal(ofKind(lines, 'skip').map((l) => l.reason), ['already_active']);
});

test('data split: on the profile\'s current traits, at the time of the split', () => {
  const definition: JourneyDefinition = {
    id: 'trial', entry: { event: 'signed_up' }, start: 'wait',
    steps: [
      { id: 'wait', type: 'delay', duration: '1d', next: 'plan' },
      { id: 'plan', type: 'data_split', branches: [{ id: 'pro', when: { trait: 'plan', equals: 'pro' }, next: 'thanks' }], otherwise: 'upsell' },
      { id: 'thanks', type: 'send', destination: 'log', eventName: 'Thanks', next: null },
      { id: 'upsell', type: 'send', destination: 'log', eventName: 'Upsell', next: null },
    ],
  };
  const lines = simulate({ journeys: [definition] }, [
    identify('a', { plan: 'free' }, -MIN), identify('b', { plan: 'free' }, -MIN),
    track('a', 'signed_up', 0), track('b', 'signed_up', 0),
    identify('a', { plan: 'pro' }, HOUR),
  ]);
  assert.equal(ofKind(lines, 'send').map((s) => [s.userId, s.step]), [['a', 'thanks'], ['b', 'upsell']]);
});

test('hold branches: the first matching branch in order wins, with its alias in the context', () => {
  const definition: JourneyDefinition = {
    id: 'reply', entry: { event: 'asked' }, start: 'hold',
    steps: [
      { id: 'hold', type: 'hold_until', maxDuration: '1h', timeoutNext: null, branches: [
        { id: 'big', event: 'paid', filters: [{ property: 'amount', gte: 100 }], alias: 'big_payment', next: 'say' },
        { id: 'any', event: 'paid', next: null },
      ] },
      { id: 'say', type: 'send', destination: 'log', eventName: 'Big', next: null },
    ],
  };
  const lines = simulate({ journeys: [definition] }, [
    track('a', 'asked', 0), track('a', 'paid', MIN, { amount: 150 }),
    track('b', 'asked', 0), track('b', 'paid', MIN, { amount: 5 }),
  ]);
  const sends = ofKind(lines, 'send');
  assert.is(sends.length, 1);
  assert.equal(Object.keys((sends[0]!.payload as any).properties.journey_context), ['asked', 'big_payment']);
});

test('timers due at an event\'s arrival fire before it', () => {
  const lines = simulate({ journeys: [example('cart-abandonment')] }, [checkout(0), track('u1', 'purchase_completed', HOUR, { session_id: 's1' })]);
  assert.equal(lines.map((l) => l.kind), ['enter', 'send', 'exit']);
});

test('--until: nothing happens after it', () => {
  const lines = simulate({ journeys: [example('cart-abandonment')] }, [checkout(0), checkout(2 * HOUR, 10, 's2')], { until: T0 + 30 * MIN });
  assert.equal(lines.map((l) => l.kind), ['enter']);
});

test('an instance still active after 365 days expires', () => {
  const definition: JourneyDefinition = {
    id: 'long', entry: { event: 'go' }, start: 'a',
    steps: [
      { id: 'a', type: 'delay', duration: '200d', next: 'b' },
      { id: 'b', type: 'delay', duration: '200d', next: null },
    ],
  };
  const lines = simulate({ journeys: [definition] }, [track('u', 'go', 0)]);
  assert.equal(lines.map((l) => [l.kind, l.reason, l.step]), [['enter', undefined, 'a'], ['exit', 'expired', 'b']]);
  assert.is(lines[1]!.at, iso(T0 + 365 * 24 * HOUR));
});

test.run();
