import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { example } from '../helpers/fixtures.js';
import { basic, testServer, WRITE_KEY, type TestServer } from '../helpers/server.js';

const test = suite('http intake');
let server: TestServer;
test.before(async () => {
  server = await testServer();
  await server.engine.publish(example('form-forwarding'));
});
test.after(async () => server.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = { authorization: basic() }) =>
  server.app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });

test('intake: track with a Basic write key enters the journey and answers 200 once durable', async () => {
  const response = await post('/v1/track', { userId: 'u1', event: 'form_submitted', properties: { submission_id: 'a', form_id: 'f' } });
  assert.is(response.statusCode, 200, response.body);
  assert.equal(response.json(), { success: true });
  await server.recorder.waitFor(1);
  assert.is(server.engine.listInstances('form-forwarding').items.length, 1);
});

test('intake: every alias answers', async () => {
  for (const url of ['/v1/t', '/v1/i', '/v1/p', '/v1/s', '/v1/g', '/v1/a', '/v1/identify', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias']) {
    const response = await post(url, { userId: 'u-alias', event: 'x', traits: { a: 1 }, previousId: 'anon-1' });
    assert.is(response.statusCode, 200, `${url}: ${response.body}`);
  }
  const batch = await post('/v1/b', { batch: [{ type: 'track', userId: 'u', event: 'x' }] });
  assert.is(batch.statusCode, 200);
});

test('intake: text/plain bodies with writeKey in the body (analytics.js)', async () => {
  const response = await post('/v1/t', { writeKey: WRITE_KEY, userId: 'u2', event: 'clicked' }, { 'content-type': 'text/plain' });
  assert.is(response.statusCode, 200, response.body);
});

test('intake: CORS preflight and headers on intake routes', async () => {
  const preflight = await server.app.inject({ method: 'OPTIONS', url: '/v1/batch', headers: { origin: 'https://shop.example', 'access-control-request-headers': 'content-type' } });
  assert.is(preflight.statusCode, 204);
  assert.is(preflight.headers['access-control-allow-origin'], 'https://shop.example');
  assert.match(String(preflight.headers['access-control-allow-methods']), 'POST');
  const response = await post('/v1/track', { userId: 'u', event: 'x' }, { authorization: basic(), origin: 'https://shop.example' });
  assert.is(response.headers['access-control-allow-origin'], 'https://shop.example');
});

test('intake: wrong or missing write key → 401', async () => {
  assert.is((await post('/v1/track', { userId: 'u', event: 'x' }, { authorization: basic('nope') })).statusCode, 401);
  const missing = await post('/v1/track', { userId: 'u', event: 'x' }, {});
  assert.is(missing.statusCode, 401);
  assert.is(missing.json().error.code, 'JRN_UNAUTHORIZED');
});

test('intake: bad input → 400 naming the problem, never a stack trace', async () => {
  const cases: [unknown, string][] = [
    ['{"userId": "u", "event":', 'JRN_INVALID_JSON'],
    [{ userId: 'u' }, 'event'],
    [{ event: 'x' }, 'userId'],
    [{ userId: 'u', event: 'x', properties: 'nope' }, 'properties'],
    [{ userId: 'u', event: 'x', timestamp: 'not a date' }, 'timestamp'],
  ];
  for (const [payload, expected] of cases) {
    const response = await post('/v1/track', payload);
    assert.is(response.statusCode, 400, `${JSON.stringify(payload)} → ${response.body}`);
    const { error } = response.json();
    assert.ok(error.code === expected || error.field === expected, `${expected}: ${response.body}`);
    assert.not.match(response.body, '    at ');
  }
});

test('intake: an oversized event or batch → 413 naming the limit', async () => {
  const big = { userId: 'u', event: 'x', properties: { blob: 'x'.repeat(40 * 1024) } };
  const single = await post('/v1/track', big);
  assert.is(single.statusCode, 413, single.body);
  const inBatch = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u', event: 'ok' }, { type: 'track', ...big }] });
  assert.is(inBatch.statusCode, 413);
  assert.match(inBatch.json().error.message, 'batch[1]');
  const tooMany = await post('/v1/batch', { batch: Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'x' })) });
  assert.is(tooMany.statusCode, 413);
  assert.match(tooMany.json().error.message, '2500');
  const tooBig = await post('/v1/batch', { batch: Array.from({ length: 30 }, () => ({ type: 'track', userId: 'u', event: 'x', properties: { blob: 'y'.repeat(20 * 1024) } })) });
  assert.is(tooBig.statusCode, 413);
});

test('intake: a batch is all-or-nothing and names the bad index', async () => {
  const before = server.engine.listInstances('form-forwarding').items.length;
  const response = await post('/v1/batch', { batch: [
    { type: 'track', userId: 'b1', event: 'form_submitted', properties: { submission_id: 'z', form_id: 'f' } },
    { type: 'track', userId: 'b2' },
  ] });
  assert.is(response.statusCode, 400);
  assert.match(response.json().error.message, 'batch[1]');
  assert.is(server.engine.listInstances('form-forwarding').items.length, before, 'nothing of the batch was applied');
});

test('intake: a replayed messageId still gets 200 and has no effect', async () => {
  const event = { userId: 'dup', event: 'form_submitted', properties: { submission_id: 'd', form_id: 'f' }, messageId: 'dup-1' };
  assert.is((await post('/v1/track', event)).statusCode, 200);
  assert.is((await post('/v1/track', { ...event, properties: { submission_id: 'other', form_id: 'f' } })).statusCode, 200);
  const instances = server.engine.listInstances('form-forwarding', { userId: 'dup' }).items;
  assert.is(instances.length, 1);
});

test.run();
