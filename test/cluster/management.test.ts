/**
 * Cluster mode through the HTTP shims of two workers: a journey published on one runs on both
 * (the control stream), destinations reach both, events sent to either shim enter, identity
 * links made on one resolve on the other, and the management reads route to the worker holding
 * the shard or ask both.
 */
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { clusterSuite, sleep, type WorkerProcess } from '../helpers/cluster.js';

const cluster = await clusterSuite('cluster: management and the HTTP shim', 'mgmt');
const { test, it, nc, receiver, workers } = cluster;
const admin = { authorization: 'Bearer admin-test', 'content-type': 'application/json' };
const writeKey = { authorization: `Basic ${Buffer.from('wk_test:').toString('base64')}`, 'content-type': 'application/json' };

async function call(worker: WorkerProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = admin): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://127.0.0.1:${worker.port}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 500)}`);
    await sleep(100);
  }
}

test.before(async () => {
  if (!nc) return;
  await cluster.start({ workerId: 'm1', shards: 16 });
  await cluster.start({ workerId: 'm2', shards: 16 });
  await eventually(() => Promise.all(workers.map((w) => w.readyz())), (all) => all.every((s) => s.shards.owned > 0) && all.reduce((n, s) => n + s.shards.owned, 0) === 16, 'shards shared');
});

it('publish on one worker, run on both; reads route to the holder or ask both', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  const [m1, m2] = workers as [WorkerProcess, WorkerProcess];
  const [s1, s2] = [await m1.readyz(), await m2.readyz()];
  assert.equal([...s1.shards.list, ...s2.shards.list].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i), '/readyz lists the shards each holds');

  // A destination and a journey created through m1 reach m2.
  assert.is((await call(m1, 'POST', '/v1/destinations', { id: 'forms', type: 'webhook', settings: { url: cluster.url() } })).status, 201);
  const definition = JSON.parse(readFileSync(new URL('../../examples/form-forwarding.json', import.meta.url), 'utf8'));
  definition.steps[0].destination = 'forms';
  assert.is((await call(m1, 'POST', '/v1/journeys', { definition })).status, 201);
  const published = await call(m1, 'POST', '/v1/journeys/form-forwarding/publish', {});
  assert.is(published.status, 200, JSON.stringify(published.json));
  assert.is(published.json.version, 1);
  // m2 applies the control stream on its own; it has the journey within moments.
  await eventually(() => call(m2, 'GET', '/v1/journeys'), (r) => r.json.items.some((j: any) => j.id === 'form-forwarding' && j.versions.at(-1).version === 1), 'm2 has the journey');
  assert.is((await call(m2, 'GET', '/v1/destinations/forms')).status, 200);

  // Events through both shims; a link made on m1 resolves on m2.
  assert.is((await call(m1, 'POST', '/v1/identify', { anonymousId: 'anon-1', userId: 'linked-user', traits: { email: 'l@example.com' } }, writeKey)).status, 200);
  await sleep(300);
  for (let i = 0; i < 20; i++) {
    const via = i % 2 === 0 ? m1 : m2;
    const event = i === 0
      ? { anonymousId: 'anon-1', event: 'form_submitted', messageId: 'f-0', properties: { submission_id: 'sub-0', form_id: 'contact', email: 'l@example.com' } }
      : { userId: `f${i}`, event: 'form_submitted', messageId: `f-${i}`, properties: { submission_id: `sub-${i}`, form_id: 'contact', email: `f${i}@example.com` } };
    assert.is((await call(via, 'POST', '/v1/track', event, writeKey)).status, 200);
  }
  await receiver.waitFor(20);
  assert.is(receiver.requests.length, 20);

  // Reads: instances paged across both workers, one instance and profiles from whichever holds them.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(m1, 'GET', `/v1/journeys/form-forwarding/instances?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(page.status, 200);
    seen.push(...page.json.items.map((item: any) => item.id));
    cursor = page.json.cursor;
  } while (cursor);
  assert.is(seen.length, 20);
  assert.is(new Set(seen).size, 20);
  for (const id of seen) {
    const one = await call(m1, 'GET', `/v1/instances/${id}`);
    assert.is(one.status, 200, `instance ${id} (shard ${id.split('-')[0]}) answered through m1`);
    assert.is(one.json.status, 'completed');
  }
  const linked = await call(m2, 'GET', '/v1/journeys/form-forwarding/instances?userId=anon-1');
  assert.is(linked.json.items.length, 1, 'the anonymous event entered under the linked userId');
  assert.is(linked.json.items[0].profileKey, 'linked-user');
  for (let i = 1; i < 20; i++) assert.is((await call(m2, 'GET', `/v1/profiles/f${i}`)).status, 200);
  const journey = await call(m2, 'GET', '/v1/journeys/form-forwarding');
  assert.is(journey.json.steps.find((s: any) => s.id === 'forward').sent, 20, 'counts summed over the workers');
  assert.is((await call(m1, 'GET', '/v1/instances/3-nope')).status, 404);
});

it('a graceful stop hands the shards back at once (well before the lease TTL)', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  const [m1, m2] = workers as [WorkerProcess, WorkerProcess];
  const stoppedAt = Date.now();
  assert.is(await m2.stop(), 0, 'SIGTERM: a clean exit');
  const status = await eventually(() => m1.readyz(), (s) => s.shards.owned === 16, 'm1 holds every shard', 5_000);
  const took = Date.now() - stoppedAt;
  assert.ok(took < 3_000, `taken over in ${took} ms: the leases were handed back, not left to expire (TTL 3 s)`);
  assert.equal(status.shards.list, Array.from({ length: 16 }, (_, i) => i));
  assert.ok(m2.logs.some((line) => line.msg === 'cluster worker stopped'));
});

test.run();
