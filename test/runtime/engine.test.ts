import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/runtime/clock.js';
import { createEngine } from '../../src/runtime/engine.js';
import { JourneysError } from '../../src/errors.js';
import { example } from '../helpers/fixtures.js';
import { recordingEngine, removeDir } from '../helpers/engine.js';
import { HOUR, MIN, T0 } from '../helpers/scenario.js';

const test = suite('runtime/engine');
const checkout = (userId: string, session: string, total = 10) => ({ type: 'track', userId, event: 'checkout_started', properties: { session_id: session, total } });

async function run(clock: ManualClock, engine: { tick(): void }, ms: number, step = MIN) {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    engine.tick();
  }
}

test('versions: publishing v2 while v1 instances run sends new entries to v2; v1 instances finish on v1', async () => {
  const clock = new ManualClock(T0);
  const { engine, recorder, dataDir } = await recordingEngine({ clock });
  const v1 = example('cart-abandonment');
  assert.is((await engine.publish(v1)).version.version, 1);
  assert.ok((await engine.publish(structuredClone(v1))).unchanged, 'an unchanged definition keeps its version');
  await engine.ingest(checkout('a', 's1'));
  const v2 = structuredClone(v1);
  (v2.steps[3] as any).eventName = 'Cart Abandoned v2';
  (v2.steps[0] as any).maxDuration = '2h';
  assert.is((await engine.publish(v2)).version.version, 2);
  await engine.ingest(checkout('b', 's1'));
  await engine.ingest(checkout('a', 's1')); // same key as the running v1 instance: blocked across versions
  await run(clock, engine, 3 * HOUR);
  await engine.settle();
  const events = recorder.received.map((r) => [r.profileKey, r.version, (r.body as any).event, r.createdAt - T0]);
  assert.equal(events, [['a', 1, 'Cart Abandoned', HOUR], ['b', 2, 'Cart Abandoned v2', 2 * HOUR]]);
  const journey = engine.getJourney('cart-abandonment');
  assert.equal(journey.versions.map((v) => [v.version, v.status]), [[1, 'published'], [2, 'published']]);
  assert.is(journey.activeVersion, 2);
  assert.is(journey.versions[0]!.steps.find((s) => s.id === 'nudge')!.sent, 1);
  assert.is(journey.versions[1]!.steps.find((s) => s.id === 'nudge')!.sent, 1);
  const traces = engine.getTraces('a');
  assert.is(traces[0]!.reason, 'already_active');
  await engine.close();
  removeDir(dataDir);
});

test('archive: stops new entries; with terminate, ends active instances without sends', async () => {
  const clock = new ManualClock(T0);
  const { engine, recorder, dataDir } = await recordingEngine({ clock });
  await engine.publish(example('cart-abandonment'));
  await engine.ingest(checkout('a', 's1'));
  await engine.ingest(checkout('b', 's1'));
  const { terminated } = await engine.archive('cart-abandonment', { terminate: true });
  assert.is(terminated, 2);
  await engine.ingest(checkout('c', 's1'));
  await run(clock, engine, 2 * HOUR);
  await engine.settle();
  assert.is(recorder.received.length, 0);
  const statuses = engine.listInstances('cart-abandonment').items.map((i) => i.status);
  assert.equal(statuses.sort(), ['terminated', 'terminated']);
  assert.is(engine.getJourney('cart-abandonment').status, 'archived');
  await engine.close();
  removeDir(dataDir);
});

test('per-step counts survive a restart and keep counting from where they were', async () => {
  const clock = new ManualClock(T0);
  const first = await recordingEngine({ clock });
  await first.engine.publish(example('cart-abandonment'));
  for (const user of ['a', 'b', 'c']) await first.engine.ingest(checkout(user, 's1'));
  await run(clock, first.engine, 2 * HOUR);
  await first.engine.settle();
  const steps = (engine: typeof first.engine) => Object.fromEntries(engine.getJourney('cart-abandonment').steps.map((s) => [s.id, [s.entered, s.active, s.sent]]));
  const before = steps(first.engine);
  assert.equal(before.nudge, [3, 0, 3], 'three nudged before the restart');
  await first.engine.close();

  const second = await recordingEngine({ clock, dataDir: first.dataDir });
  assert.equal(steps(second.engine), before, 'the same counts after the restart');
  await second.engine.ingest(checkout('d', 's1'));
  await second.engine.settle();
  const waiting = second.engine.getJourney('cart-abandonment').steps.find((s) => s.active > 0)!;
  assert.is(waiting.active, 1, 'the new entry waits');
  assert.is(steps(second.engine)[waiting.id]![0], before[waiting.id]![0]! + 1, 'entered counts on from the stored value');
  await second.engine.close();
  removeDir(first.dataDir);
});

test('retention: ended instances older than it are purged, while events keep committing', async () => {
  const clock = new ManualClock(T0);
  const { engine, dataDir } = await recordingEngine({ clock, retentionMs: HOUR });
  await engine.publish(example('form-forwarding'));
  const submit = (i: number) => engine.ingest({ type: 'track', userId: `u${i}`, event: 'form_submitted', properties: { submission_id: `f${i}`, email: `u${i}@x.io`, form_id: 'contact' } });
  for (let i = 0; i < 5; i++) await submit(i);
  await engine.settle();
  assert.is(engine.listInstances('form-forwarding').items.length, 5);
  clock.advance(2 * HOUR);
  // Events committed at the same time go into the same or the next batches as the purge's removes.
  const [purged] = await Promise.all([engine.purgeEnded(), ...[5, 6, 7].map(submit)]);
  await engine.settle();
  assert.is(purged, 5, 'the five older than the retention');
  const left = engine.listInstances('form-forwarding').items.map((i) => i.identifier).sort();
  assert.equal(left, ['f5', 'f6', 'f7']);
  await engine.close();
  removeDir(dataDir);
});

test('retention: an instance whose id runs again (its entry replayed after the dedupe window) is not purged', async () => {
  const clock = new ManualClock(T0);
  const { engine, dataDir } = await recordingEngine({ clock, retentionMs: HOUR, dedupeWindowMs: HOUR });
  await engine.publish(example('cart-abandonment'));
  const entry = { type: 'track', userId: 'ann', event: 'checkout_started', messageId: 'checkout-1', properties: { session_id: 's1', total: 10 } };
  const id = (await engine.ingest(entry), engine.listInstances('cart-abandonment').items[0]!.id);
  await engine.ingest({ type: 'track', userId: 'ann', event: 'purchase_completed', properties: { session_id: 's1' } });
  await engine.settle();
  assert.is(engine.getInstanceRecord(id)!.status, 'completed');
  clock.advance(48 * HOUR); // past the retention, and past the dedupe window (kept in 12-hour buckets)
  const replay = engine.ingest(entry); // the same id, active again; its commit may still be under way
  const purged = await engine.purgeEnded();
  await replay;
  await engine.settle();
  assert.is(purged, 1, 'the old end left the retention index');
  assert.is(engine.getInstanceRecord(id)?.status, 'active', 'the running instance stays');
  await engine.close();
  removeDir(dataDir);
});

test('a data directory refuses another shard count, with a clear message', async () => {
  const { engine, dataDir } = await recordingEngine({ shards: 8 });
  await engine.close();
  try {
    await createEngine({ dataDir, shards: 16 });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, JourneysError);
    assert.is((error as JourneysError).code, 'JRN_SHARD_MISMATCH');
    assert.match((error as Error).message, 'created with 8 shards');
    assert.match((error as Error).message, '--shards 8');
  }
  removeDir(dataDir);
});

test('instances that wait far ahead leave memory: profiles beyond the cache and timers beyond the horizon stay on disk', async () => {
  const clock = new ManualClock(T0);
  const { engine, recorder, dataDir } = await recordingEngine({ clock, maxCachedProfilesPerShard: 10, timerHorizonMs: 10 * MIN });
  await engine.publish(example('cart-abandonment'));
  for (let i = 0; i < 2_000; i++) await engine.ingest(checkout(`user-${i}`, `s-${i}`));
  clock.advance(2_000);
  engine.tick();
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // one maintenance pass evicts
  await engine.settle();
  const shards = (engine as any).shards as { cachedProfiles: number }[];
  const cached = shards.reduce((sum, shard) => sum + shard.cachedProfiles, 0);
  assert.ok(cached <= 8 * 10 + 8, `cached profiles: ${cached}`);
  assert.is(engine.timersInMemory, 0, 'hold timers 1 h ahead are not in the wheel');
  assert.is(engine.timersPending(), 2_000, 'every waiting instance is in the due-time index, under its next deadline');
  await run(clock, engine, HOUR + 2 * MIN);
  await engine.settle();
  assert.is(recorder.received.length, 2_000, 'the cold instances fire from disk');
  await engine.close();
  removeDir(dataDir);
});

test('invalid events are refused naming the field; the engine keeps serving', async () => {
  const { engine, dataDir } = await recordingEngine();
  await engine.publish(example('form-forwarding'));
  for (const [raw, field] of [[{ type: 'track', event: 'x' }, 'userId'], [{ type: 'track', userId: 'u' }, 'event'], [{ type: 'track', userId: 'u', event: 'x', properties: [] }, 'properties'], [{ type: 'track', userId: 'u', event: 'x', timestamp: 'yesterday' }, 'timestamp'], ['nope', '']] as const) {
    try {
      await engine.ingest(raw);
      assert.unreachable(`accepted ${JSON.stringify(raw)}`);
    } catch (error) {
      assert.is((error as JourneysError).code, 'JRN_INVALID_EVENT');
      assert.is(((error as JourneysError).details as { field: string }).field, field);
    }
  }
  try {
    await engine.ingestBatch([{ type: 'track', userId: 'u', event: 'ok' }, { type: 'track', userId: 'u' }]);
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, 'batch[1]');
  }
  assert.is((await engine.ingest({ type: 'track', userId: 'u', event: 'form_submitted', properties: { submission_id: 'x' } })).duplicate, false);
  await engine.close();
  removeDir(dataDir);
});

test('identify links an anonymousId; later anonymous events reach the user\'s profile', async () => {
  const { engine, recorder, dataDir } = await recordingEngine();
  await engine.publish(example('form-forwarding'));
  await engine.ingest({ type: 'identify', userId: 'u9', anonymousId: 'anon-9', traits: { email: 'nine@example.com' } });
  const result = await engine.ingest({ type: 'track', anonymousId: 'anon-9', event: 'form_submitted', properties: { submission_id: '1', form_id: 'f' } });
  assert.is(result.profileKey, 'u9');
  await recorder.waitFor(1);
  assert.is((recorder.received[0]!.body as any).email, 'nine@example.com');
  assert.equal(engine.getProfile('u9').traits, { email: 'nine@example.com' });
  await engine.close();
  removeDir(dataDir);
});

test.run();
