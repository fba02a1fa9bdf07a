import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceIdOf, messageIdOf } from '../../src/machines/hashing.js';
import { example } from '../helpers/fixtures.js';
import { HOUR, iso, identify, MIN, ofKind, simulate, T0, track } from '../helpers/scenario.js';

const test = suite('simulate/cart-abandonment');
const journeys = [example('cart-abandonment')];
const checkout = (user: string, offset: number, session: string, total = 50, messageId?: string) =>
  track(user, 'checkout_started', offset, { session_id: session, total, cart_id: `cart-${session}` }, messageId ? { messageId } : {});

test('cart: a purchase before the timeout: no nudge, completed at the purchase', () => {
  const lines = simulate({ journeys }, [checkout('u1', 0, 's1'), track('u1', 'purchase_completed', 30 * MIN, { session_id: 's1' })]);
  assert.equal(lines.map((l) => l.kind), ['enter', 'exit']);
  assert.is(ofKind(lines, 'send').length, 0);
  assert.is(lines[1]!.at, iso(T0 + 30 * MIN));
  assert.is(lines[1]!.reason, 'completed');
});

test('cart: no purchase: the nudge goes out at exactly 1 h, with the traits and the full payload', () => {
  const lines = simulate({ journeys }, [
    identify('u1', { email: 'ann@example.com', first_name: 'Ann' }, -MIN),
    checkout('u1', 0, 's1', 50, 'msg-001'),
  ]);
  const [send] = ofKind(lines, 'send');
  const instance = instanceIdOf('cart-abandonment', 1, 'u1', 'msg-001', 64);
  assert.is(send!.at, iso(T0 + HOUR));
  assert.is(send!.instance, instance);
  assert.is(send!.step, 'nudge');
  assert.is(send!.destination, 'crm-webhook');
  const payload = send!.payload as any;
  assert.is(payload.type, 'track');
  assert.is(payload.event, 'Cart Abandoned');
  assert.is(payload.userId, 'u1');
  assert.is(payload.messageId, messageIdOf(instance, 'nudge', 1));
  assert.is(payload.timestamp, iso(T0 + HOUR));
  assert.is(payload.properties.email, 'ann@example.com');
  assert.is(payload.properties.first_name, undefined, 'only the traits the step lists');
  assert.equal(payload.properties.journey_metadata, {
    journey_id: 'cart-abandonment', journey_version: 1, instance_id: instance, step_id: 'nudge', step_key: 'cart-abandonment/v1/nudge',
  });
  assert.equal(payload.properties.journey_context.checkout_started, {
    event: 'checkout_started', properties: { session_id: 's1', total: 50, cart_id: 'cart-s1' }, timestamp: iso(T0), messageId: 'msg-001',
  });
  assert.is(payload.context.library.name, 'journeys');
  assert.equal(ofKind(lines, 'exit')[0]!.reason, 'completed');
});

test('cart: a big cart gets the coupon send, mapped', () => {
  const lines = simulate({ journeys }, [identify('u1', { email: 'a@x.io' }, -MIN), checkout('u1', 0, 's1', 150)]);
  const [send] = ofKind(lines, 'send');
  assert.is(send!.step, 'nudge-with-coupon');
  assert.equal(send!.payload, { email: 'a@x.io', coupon: 'COMEBACK10', cart: 'cart-s1' });
});

test('cart: two parallel sessions for one user, one completes: one nudge, for the other session', () => {
  const lines = simulate({ journeys }, [
    checkout('u1', 0, 's1', 50, 'c1'),
    checkout('u1', 5 * MIN, 's2', 50, 'c2'),
    track('u1', 'purchase_completed', 20 * MIN, { session_id: 's1' }),
  ]);
  const sends = ofKind(lines, 'send');
  assert.is(sends.length, 1);
  assert.is(sends[0]!.instance, instanceIdOf('cart-abandonment', 1, 'u1', 'c2', 64));
  assert.is((sends[0]!.payload as any).properties.journey_context.checkout_started.properties.session_id, 's2');
  assert.is(sends[0]!.at, iso(T0 + 65 * MIN));
});

test('cart: a purchase for an unknown session is ignored', () => {
  const lines = simulate({ journeys }, [checkout('u1', 0, 's1'), track('u1', 'purchase_completed', 10 * MIN, { session_id: 'other' })]);
  assert.equal(lines.map((l) => l.kind), ['enter', 'send', 'exit']);
  assert.is(ofKind(lines, 'send')[0]!.at, iso(T0 + HOUR));
});

test('cart: account_deleted mid-hold exits every active instance, with no send', () => {
  const lines = simulate({ journeys }, [
    checkout('u1', 0, 's1'), checkout('u1', MIN, 's2'),
    track('u1', 'account_deleted', 10 * MIN),
  ]);
  const exits = ofKind(lines, 'exit');
  assert.is(exits.length, 2);
  assert.ok(exits.every((e) => e.reason === 'exited' && e.at === iso(T0 + 10 * MIN)));
  assert.is(ofKind(lines, 'send').length, 0);
});

test('cart: re-entry with the same session after the end starts a new instance', () => {
  const lines = simulate({ journeys }, [
    checkout('u1', 0, 's1', 50, 'first'),
    track('u1', 'purchase_completed', 10 * MIN, { session_id: 's1' }),
    checkout('u1', 20 * MIN, 's1', 50, 'second'),
  ], { explain: true });
  const enters = ofKind(lines, 'enter');
  assert.is(enters.length, 2);
  assert.is.not(enters[0]!.instance, enters[1]!.instance);
  assert.is(ofKind(lines, 'send')[0]!.at, iso(T0 + 80 * MIN));
});

test('cart: the same session while active does not enter again (explained)', () => {
  const lines = simulate({ journeys }, [checkout('u1', 0, 's1'), checkout('u1', MIN, 's1')], { explain: true });
  const [skip] = ofKind(lines, 'skip');
  assert.is(skip!.reason, 'already_active');
  assert.is(ofKind(lines, 'send').length, 1);
});

test('cart: an entry event without the identifier does not enter (explained)', () => {
  const lines = simulate({ journeys }, [track('u1', 'checkout_started', 0, { total: 5 })], { explain: true });
  assert.equal(lines.map((l) => [l.kind, l.reason]), [['skip', 'missing_identifier']]);
});

test('cart: a purchase that arrived before the checkout does not count', () => {
  const lines = simulate({ journeys }, [track('u1', 'purchase_completed', -MIN, { session_id: 's1' }), checkout('u1', 0, 's1')]);
  assert.is(ofKind(lines, 'send').length, 1);
});

test('cart: a replayed messageId has no effect', () => {
  const event = checkout('u1', 0, 's1', 50, 'dup');
  const lines = simulate({ journeys }, [event, { ...event, properties: { session_id: 's2' }, timestamp: iso(T0 + MIN) }], { explain: true });
  assert.is(ofKind(lines, 'enter').length, 1);
  assert.equal(ofKind(lines, 'skip').map((l) => l.reason), ['duplicate']);
});

test('cart: the identifier is compared strictly ("7" is not 7)', () => {
  const lines = simulate({ journeys }, [
    track('u1', 'checkout_started', 0, { session_id: 7 }),
    track('u1', 'purchase_completed', MIN, { session_id: '7' }),
  ]);
  assert.is(ofKind(lines, 'send').length, 1);
});

test('cart: many users, half purchasing: exactly the other half nudged, each once', () => {
  const events: object[] = [];
  for (let i = 0; i < 200; i++) {
    events.push(checkout(`user-${i}`, i * 1000, `s-${i}`));
    if (i % 2 === 0) events.push(track(`user-${i}`, 'purchase_completed', i * 1000 + 30 * MIN, { session_id: `s-${i}` }));
  }
  const sends = ofKind(simulate({ journeys }, events), 'send');
  assert.is(sends.length, 100);
  assert.ok(sends.every((s) => Number(String(s.userId).split('-')[1]) % 2 === 1));
  assert.is(new Set(sends.map((s) => (s.payload as any).messageId)).size, 100);
});

test.run();
