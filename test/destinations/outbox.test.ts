import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILT_IN_DRIVERS } from '../../src/destinations/drivers.js';
import { verifySignature } from '../../src/destinations/webhook.js';
import { example } from '../helpers/fixtures.js';
import { recordingEngine, removeDir } from '../helpers/engine.js';
import { Receiver } from '../helpers/receiver.js';

const test = suite('destinations: the outbox through a real webhook receiver');
const SECRET = 'whsec_outbox';
const submit = (id: string) => ({ type: 'track', userId: 'u1', event: 'form_submitted', properties: { submission_id: id, form_id: 'f' } });

async function setup(retry: Record<string, unknown> = { initialBackoff: '50ms', maxBackoff: '200ms' }) {
  const receiver = new Receiver();
  const url = await receiver.start();
  const { engine, dataDir } = await recordingEngine({
    drivers: BUILT_IN_DRIVERS,
    destinations: [{ id: 'crm-webhook', type: 'webhook', settings: { url, secret: SECRET }, retry: retry as never }],
  });
  await engine.publish(example('form-forwarding'));
  return { receiver, engine, async close() { await engine.close(); await receiver.stop(); removeDir(dataDir); } };
}

test('outbox: 500 three times then 200 → delivered on the fourth try, same body and Idempotency-Key, signatures verify', async () => {
  const { receiver, engine, close } = await setup();
  receiver.script.push({ status: 500 }, { status: 500 }, { status: 500 });
  await engine.ingest(submit('a'));
  await receiver.waitFor(4);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.is(receiver.requests.length, 4);
  const [first] = receiver.requests;
  for (const request of receiver.requests) {
    assert.is(request.body, first!.body, 'the same bytes every try');
    assert.is(request.headers['idempotency-key'], first!.headers['idempotency-key']);
    assert.match(String(request.headers['idempotency-key']), /^jrn-[0-9a-f]{32}$/);
    assert.ok(verifySignature(SECRET, String(request.headers['x-journeys-signature']), request.body));
  }
  await engine.settle();
  assert.is(engine.outboxDepth(), 0);
  const step = engine.getJourney('form-forwarding').steps[0]!;
  assert.is(step.sent, 1);
  await close();
});

test('outbox: 429 with Retry-After: 2 is retried no sooner than 2 s later', async () => {
  const { receiver, engine, close } = await setup();
  receiver.script.push({ status: 429, headers: { 'retry-after': '2' } });
  await engine.ingest(submit('b'));
  await receiver.waitFor(2, 10_000);
  const gap = receiver.requests[1]!.at - receiver.requests[0]!.at;
  assert.ok(gap >= 2_000, `retried after ${gap} ms`);
  await close();
});

test('outbox: a 400 goes to the dead letters with its status and body; re-drive delivers it', async () => {
  const { receiver, engine, close } = await setup();
  receiver.script.push({ status: 400, body: '{"error":"email missing"}' });
  await engine.ingest(submit('c'));
  await receiver.waitFor(1);
  await engine.settle();
  const dead = engine.listDeadLetters().items;
  assert.is(dead.length, 1);
  assert.is(dead[0]!.lastStatus, 400);
  assert.is(dead[0]!.lastBody, '{"error":"email missing"}');
  assert.match(String(dead[0]!.lastError), '400');
  assert.is(engine.getJourney('form-forwarding').steps[0]!.failed, 1);
  await engine.redrive(dead[0]!.id);
  await receiver.waitFor(2);
  assert.is(receiver.requests[1]!.headers['idempotency-key'], receiver.requests[0]!.headers['idempotency-key']);
  await engine.settle();
  assert.is(engine.listDeadLetters().items.length, 0);
  await close();
});

test('outbox: retries give up after maxAttempts into the dead letters', async () => {
  const { receiver, engine, close } = await setup({ maxAttempts: 3, initialBackoff: '10ms', maxBackoff: '20ms' });
  receiver.script.push(...Array.from({ length: 5 }, () => ({ status: 503 })));
  await engine.ingest(submit('d'));
  await receiver.waitFor(3);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await engine.settle();
  assert.is(receiver.requests.length, 3);
  const [dead] = engine.listDeadLetters().items;
  assert.match(String(dead!.lastError), 'gave up after 3 attempts');
  await close();
});

test.run();

const crash = suite('destinations: SIGKILL with 10k sends in the outbox');

crash('outbox: after a SIGKILL with 10k sends waiting for a slow receiver, every send arrives; repeats carry the same messageId', async () => {
  const { EngineChild } = await import('../helpers/child.js');
  const { tempDir } = await import('../helpers/engine.js');
  const { join } = await import('node:path');
  const receiver = new Receiver();
  const url = await receiver.start();
  receiver.delayMs = 2;
  const dataDir = tempDir('journeys-outbox-crash-');
  const args = [join(dataDir, 'data'), url];
  let { child } = await EngineChild.start(args, 'test/fixtures/outbox-child.ts');
  const total = 10_000;
  for (let start = 0; start < total; start += 2_000) {
    const events = Array.from({ length: 2_000 }, (_, i) => ({ type: 'track', userId: `u${(start + i) % 500}`, event: 'form_submitted', properties: { submission_id: `sub-${start + i}`, form_id: 'f' }, messageId: `form-${start + i}` }));
    const ack = child.next((m) => m.ack === start);
    child.send({ op: 'batch', id: start, events });
    await ack;
  }
  await child.kill();
  const before = receiver.requests.length;
  assert.ok(before < total, `killed with sends still waiting (${before} of ${total} had arrived)`);
  const restarted = await EngineChild.start(args, 'test/fixtures/outbox-child.ts');
  child = restarted.child;
  assert.ok(restarted.ready.outbox > 0, 'the outbox survived the crash');
  const until = Date.now() + 90_000;
  while (new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size < total && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  await child.kill();
  const keys = new Set(receiver.requests.map((r) => String(r.headers['idempotency-key'])));
  assert.is(keys.size, total, `every send arrived (${keys.size}; ${receiver.requests.length} requests)`);
  // 10k instances, 10k distinct messageIds: a send produced again after the crash would have
  // shown up under a new messageId and pushed the count past 10k.
  assert.ok(receiver.requests.length >= total, 'repeats allowed (at-least-once), never under a new id');
  assert.ok([...keys].every((key) => /^jrn-[0-9a-f]{32}$/.test(key)));
  await receiver.stop();
  removeDir(dataDir);
});

crash.run();
