import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { toEffects } from '../../src/machines/advance.js';
import { compileJourney, compiledVersion } from '../../src/machines/compiled.js';
import { compileMachine, exitEventType, trackEventType } from '../../src/machines/compile.js';
import type { MachineInput } from '../../src/machines/machine-types.js';
import { clone, example } from '../helpers/fixtures.js';

const test = suite('machines/compile');
const env = { traits: { email: 'ann@example.com' }, isMember: () => false };
const entryEvent = (properties: Record<string, unknown>) => ({ event: 'checkout_started', properties, timestamp: '2026-03-01T10:00:00.000Z', messageId: 'm1' });
const input = (properties: Record<string, unknown>): MachineInput => ({ instanceId: '18-abc', profileKey: 'user_1', entryEvent: entryEvent(properties), env });
const plain = (snapshot: AnyMachineSnapshot) => ({ value: snapshot.value, context: snapshot.context, status: snapshot.status });
const timerOf = (effects: ReturnType<typeof toEffects>, delayMs: number) => {
  const timer = effects.find((e) => e.kind === 'timer' && e.delayMs === delayMs);
  assert.ok(timer, `a timer of ${delayMs} ms`);
  return timer as { eventType: string; id: string };
};

test('compile: named guards and actions from setup()', () => {
  const machine = compileMachine(example('cart-abandonment'));
  assert.equal(Object.keys(machine.implementations.guards).sort(), ['branchFilters', 'bucket', 'canRestart', 'condition']);
  for (const action of ['visit', 'remember', 'restart', 'send', 'end']) assert.ok(action in machine.implementations.actions, action);
});

test('compile: the reused-scope runner gives exactly what the public pure functions give', () => {
  const definition = example('cart-abandonment');
  const { runner } = compileJourney(definition, 1);
  const machine = runner.machine;
  for (const total of [150, 20]) {
    const [publicStart, publicStartActions] = initialTransition(machine, input({ session_id: 's', total, cart_id: 'c' }));
    const ours = runner.start(input({ session_id: 's', total, cart_id: 'c' }));
    assert.equal(plain(ours.snapshot), plain(publicStart));
    assert.equal(ours.effects, toEffects(publicStartActions as never));

    const hold = timerOf(ours.effects, 3_600_000);
    for (const event of [
      { type: hold.eventType, env },
      { type: trackEventType('purchase_completed'), event: { ...entryEvent({}), event: 'purchase_completed' }, env },
      { type: exitEventType(0), event: { ...entryEvent({}), event: 'account_deleted' }, env },
      { type: trackEventType('unrelated'), env },
    ]) {
      const [publicNext, publicActions] = transition(machine, publicStart, event as never);
      const next = runner.next(ours.snapshot, event);
      assert.equal(plain(next.snapshot), plain(publicNext), event.type);
      assert.equal(next.effects, toEffects(publicActions as never), event.type);
    }
  }
});

test('compile: a hold times out into a data split and a send with its visit and context', () => {
  const { runner } = compileJourney(example('cart-abandonment'), 1);
  const started = runner.start(input({ session_id: 's', total: 150, cart_id: 'c' }));
  assert.equal(started.snapshot.value, { 'wait-for-purchase': 'waiting' });
  const fired = runner.next(started.snapshot, { type: timerOf(started.effects, 3_600_000).eventType, env });
  const send = fired.effects.find((e) => e.kind === 'send') as any;
  assert.is(send.params.step, 'nudge-with-coupon');
  assert.is(send.params.visit, 1);
  assert.equal(Object.keys(send.params.journeyContext), ['checkout_started']);
  assert.equal(fired.effects.at(-2), { kind: 'end', reason: 'completed' });
  assert.is(fired.snapshot.status, 'done');
});

test('compile: every instance gets a 365-day expiry timer, cancelled when it ends', () => {
  const { runner } = compileJourney(example('cart-abandonment'), 1);
  const started = runner.start(input({ session_id: 's', total: 1 }));
  const expiry = timerOf(started.effects, 365 * 86_400_000);
  const expired = runner.next(started.snapshot, { type: expiry.eventType, env });
  assert.equal(expired.effects.find((e) => e.kind === 'end'), { kind: 'end', reason: 'expired' });
  const purchased = runner.next(started.snapshot, { type: trackEventType('purchase_completed'), event: { ...entryEvent({}), event: 'purchase_completed' }, env });
  assert.ok(purchased.effects.some((e) => e.kind === 'cancel' && e.id === expiry.id));
});

test('compile: the exit-rule send sees the exit event in the context', () => {
  const definition = clone(example('cart-abandonment'));
  definition.exitRules = [{ event: 'account_deleted', send: { destination: 'crm-webhook', eventName: 'Bye' } }];
  const { runner } = compileJourney(definition, 1);
  const started = runner.start(input({ session_id: 's' }));
  const exited = runner.next(started.snapshot, { type: exitEventType(0), event: { ...entryEvent({ why: 'gdpr' }), event: 'account_deleted' }, env });
  const send = exited.effects.find((e) => e.kind === 'send') as any;
  assert.is(send.params.step, 'exit-0');
  assert.equal(send.params.journeyContext.account_deleted.properties, { why: 'gdpr' });
  assert.equal(exited.effects.find((e) => e.kind === 'end'), { kind: 'end', reason: 'exited' });
});

test('compile: a restart re-enters only the waiting, not the step (visits unchanged)', () => {
  const definition = clone(example('cart-abandonment'));
  (definition.steps[0] as any).restartOnEntryEvent = true;
  const { runner } = compileJourney(definition, 1);
  const started = runner.start(input({ session_id: 's' }));
  const restarted = runner.next(started.snapshot, { type: 'jrn.restart', event: entryEvent({ session_id: 's', total: 9 }), env });
  assert.ok(restarted.changed);
  assert.equal(restarted.snapshot.context.visits, { 'wait-for-purchase': 1 });
  assert.is(restarted.snapshot.context.restarts, 1);
  assert.equal(restarted.snapshot.context.journey.checkout_started.properties, { session_id: 's', total: 9 });
  assert.equal(restarted.effects.map((e) => e.kind), ['cancel', 'timer']);
});

test('compile: versions are cached per (id, version)', () => {
  const definition = example('form-forwarding');
  assert.is(compiledVersion(definition, 1), compiledVersion(definition, 1));
  assert.is.not(compiledVersion(definition, 1), compiledVersion(definition, 2));
});

test('compile: a snapshot restored from value and context continues the same way', () => {
  const { runner } = compileJourney(example('cart-abandonment'), 1);
  const started = runner.start(input({ session_id: 's', total: 5 }));
  const stored = JSON.parse(JSON.stringify({ value: started.snapshot.value, context: started.snapshot.context }));
  const restored = runner.restore(stored.value, stored.context);
  const event = { type: timerOf(started.effects, 3_600_000).eventType, env };
  assert.equal(plain(runner.next(restored, event).snapshot), plain(runner.next(started.snapshot, event).snapshot));
});

test.run();
