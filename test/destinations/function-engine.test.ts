import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILT_IN_DRIVERS } from '../../src/destinations/drivers.js';
import type { JourneyDefinition } from '../../src/machines/types.js';
import { recordingEngine, removeDir } from '../helpers/engine.js';

const test = suite('destinations: misbehaving functions cost only their send');

const journey = (id: string, destination: string): JourneyDefinition => ({
  id, entry: { event: `${id}_event` }, start: 'send',
  steps: [{ id: 'send', type: 'send', destination, eventName: 'Out', next: null }],
});

test('function: a loop, a memory hog and a RetryError behave as payload.md says; the engine keeps serving', async () => {
  const fn = (id: string, code: string) => ({ id, type: 'function', settings: { code, timeoutMs: 500, memoryMb: 32 }, retry: { maxAttempts: 2, initialBackoff: '50ms', maxBackoff: '100ms' } });
  const { engine, recorder, dataDir } = await recordingEngine({
    drivers: BUILT_IN_DRIVERS,
    destinations: [
      fn('loops', 'async function onEvent() { while (true) {} }'),
      fn('hogs', 'async function onEvent() { const a = []; while (true) a.push(new Array(1e6).fill(1)); }'),
      fn('retries', 'async function onEvent() { throw new RetryError("later"); }'),
      fn('works', 'async function onEvent(event) { return { got: event.event }; }'),
      { id: 'log', type: 'record', settings: {} },
    ],
  });
  for (const id of ['loops', 'hogs', 'retries', 'works', 'log']) await engine.publish(journey(`j-${id}`, id));
  for (const id of ['loops', 'hogs', 'retries', 'works']) await engine.ingest({ type: 'track', userId: 'u', event: `j-${id}_event` });
  const until = Date.now() + 20_000;
  while (engine.listDeadLetters().items.length < 3 && Date.now() < until) {
    // The engine keeps serving while the functions misbehave.
    await engine.ingest({ type: 'track', userId: 'v', event: 'j-log_event' });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await engine.settle();
  const dead = new Map(engine.listDeadLetters().items.map((d) => [d.destination, d.lastError]));
  assert.match(String(dead.get('loops')), 'timed out');
  assert.match(String(dead.get('hogs')), 'memory');
  assert.match(String(dead.get('retries')), 'gave up after 2 attempts');
  assert.not.ok(dead.has('works'));
  assert.is(engine.getJourney('j-works').steps[0]!.failed, 0);
  assert.ok(recorder.received.length > 0, 'other sends kept flowing');
  await engine.close();
  removeDir(dataDir);
});

test.run();
