import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/runtime/clock.js';
import { parseEventsFile } from '../../src/simulate/events-file.js';
import { Simulator } from '../../src/simulate/simulator.js';
import type { JourneyDefinition } from '../../src/machines/types.js';
import { example } from '../helpers/fixtures.js';
import { recordingEngine, removeDir } from '../helpers/engine.js';
import { DAY, HOUR, identify, MIN, T0, track } from '../helpers/scenario.js';

const test = suite('runtime: the engine produces the sends `journeys simulate` predicts');

/** Runs the events through the simulator and through a real engine (LMDB, manual clock); returns both sets of sends. */
async function both(journey: JourneyDefinition, events: object[]) {
  const parsed = parseEventsFile(events.map((e) => JSON.stringify(e)).join('\n'), 'events');
  const simulator = new Simulator({ journeys: [journey], shards: 8 });
  const predicted: Record<string, unknown>[] = [];
  const keep = (effects: { kind: string }[]) => {
    for (const effect of effects as any[]) if (effect.kind === 'send') predicted.push({ messageId: effect.messageId, instance: effect.instanceId, step: effect.step, destination: effect.destination, at: effect.at, body: effect.mapped });
  };
  for (const { event, arrival } of parsed) keep(simulator.ingest(event, arrival));
  keep(simulator.drain());

  const clock = new ManualClock(T0 - HOUR);
  const { engine, recorder, dataDir } = await recordingEngine({ clock });
  await engine.publish(journey);
  const last = Math.max(...parsed.map((p) => p.arrival));
  for (const { event, arrival } of parsed) {
    // Move time in small steps so that timers fire in between, as they would in real time.
    while (clock.now() + MIN < arrival) {
      clock.advance(MIN);
      engine.tick();
    }
    clock.set(arrival);
    engine.tick();
    const { messageId, name, type, userId, anonymousId, properties, traits, timestamp } = event as any;
    await engine.ingest({ type, event: name, userId, anonymousId, properties, traits, timestamp, messageId });
  }
  for (let until = last + 2 * DAY; clock.now() < until; ) {
    clock.advance(MIN);
    engine.tick();
  }
  await engine.settle();
  const actual = recorder.received.map((r) => ({ messageId: r.messageId, instance: r.instanceId, step: r.step, destination: r.destination, at: r.createdAt, body: r.body }));
  await engine.close();
  removeDir(dataDir);
  const order = (list: Record<string, unknown>[]) => [...list].sort((a, b) => String(a.messageId).localeCompare(String(b.messageId)));
  return { predicted: order(predicted), actual: order(actual) };
}

test('cart abandonment: purchases, parallel sessions, unknown sessions, exits', async () => {
  const events = [
    identify('u1', { email: 'ann@example.com' }, -MIN),
    track('u1', 'checkout_started', 0, { session_id: 's1', total: 150, cart_id: 'c1' }),
    track('u1', 'checkout_started', 5 * MIN, { session_id: 's2', total: 20 }),
    track('u1', 'purchase_completed', 20 * MIN, { session_id: 's1' }),
    track('u2', 'checkout_started', 10 * MIN, { session_id: 'x', total: 500, cart_id: 'big' }),
    track('u2', 'purchase_completed', 15 * MIN, { session_id: 'unknown' }),
    track('u3', 'checkout_started', 0, { session_id: 'y', total: 1 }),
    track('u3', 'account_deleted', 30 * MIN),
  ];
  const { predicted, actual } = await both(example('cart-abandonment'), events);
  assert.is(predicted.length, 2);
  assert.equal(actual, predicted);
});

test('content follow-up: a day later, sticky split, once', async () => {
  const events = [
    identify('user_1', { email: 'u@x.io', first_name: 'U' }, -MIN),
    track('user_1', 'content_downloaded', 0, { type: 'ebook' }),
    track('user_1', 'content_downloaded', HOUR, { type: 'ebook' }),
    track('p2', 'content_downloaded', 0, { type: 'whitepaper' }),
    track('p3', 'content_downloaded', 0, { type: 'video' }),
  ];
  const { predicted, actual } = await both(example('content-follow-up'), events);
  assert.is(predicted.length, 2);
  assert.equal(actual, predicted);
});

test('form forwarding: at once, mapped', async () => {
  const events = [
    identify('u1', { email: 'ann@example.com' }, -MIN),
    track('u1', 'form_submitted', 0, { submission_id: 'a', form_id: 'contact' }),
    track('u1', 'form_submitted', MIN, { submission_id: 'b', form_id: 'demo' }),
    track('u1', 'form_submitted', 2 * MIN, { submission_id: 'a', form_id: 'contact' }),
  ];
  const { predicted, actual } = await both(example('form-forwarding'), events);
  assert.is(predicted.length, 3);
  assert.equal(actual, predicted);
});

test.run();
