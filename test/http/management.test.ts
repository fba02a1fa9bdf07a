import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { example } from '../helpers/fixtures.js';
import { basic, bearer, testServer, type TestServer } from '../helpers/server.js';

const test = suite('http management');
let server: TestServer;
test.before(async () => { server = await testServer(); });
test.after(async () => server.close());

const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  server.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }), headers: { authorization: bearer() } });

test('management: no or wrong admin token → 401', async () => {
  assert.is((await server.app.inject({ method: 'GET', url: '/v1/journeys' })).statusCode, 401);
  assert.is((await server.app.inject({ method: 'GET', url: '/v1/journeys', headers: { authorization: bearer('wrong') } })).statusCode, 401);
  assert.is((await server.app.inject({ method: 'GET', url: '/v1/journeys', headers: { authorization: basic() } })).statusCode, 401);
});

test('management: validate, draft, publish, list, get with per-step counts; 409 on editing a published journey', async () => {
  const definition = example('cart-abandonment');
  const validation = await admin('POST', '/v1/journeys/validate', { definition });
  assert.equal(validation.json(), { valid: true, issues: [] });
  const draft = await admin('POST', '/v1/journeys', { definition });
  assert.is(draft.statusCode, 201, draft.body);
  const published = await admin('POST', '/v1/journeys/cart-abandonment/publish');
  assert.equal(published.json(), { id: 'cart-abandonment', version: 1, status: 'published', unchanged: false });
  const put = await admin('PUT', '/v1/journeys/cart-abandonment', { definition });
  assert.is(put.statusCode, 409);
  assert.match(put.json().error.message, 'immutable');
  const list = await admin('GET', '/v1/journeys');
  assert.equal(list.json().items.map((j: any) => [j.id, j.status]), [['cart-abandonment', 'published']]);
  await server.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic() }, payload: { userId: 'u1', event: 'checkout_started', properties: { session_id: 's', total: 5 } } });
  const journey = (await admin('GET', '/v1/journeys/cart-abandonment')).json();
  const hold = journey.steps.find((s: any) => s.id === 'wait-for-purchase');
  assert.equal([hold.entered, hold.active], [1, 1]);
});

test('management: an invalid journey → 400 with every issue', async () => {
  const definition = structuredClone(example('cart-abandonment')) as any;
  definition.steps[0].maxDuration = 'soon';
  definition.steps[3].destination = 'nowhere';
  const response = await admin('POST', '/v1/journeys', { definition });
  assert.is(response.statusCode, 400);
  const issues = response.json().error.issues.map((i: any) => [i.path, i.code]);
  assert.equal(issues, [['/steps/0/maxDuration', 'invalid_duration'], ['/steps/3/destination', 'unknown_destination']]);
});

test('management: preview returns each send payload, mapped, without sending', async () => {
  const delivered = server.recorder.received.length;
  const response = await admin('POST', '/v1/journeys/cart-abandonment/preview', { event: { userId: 'p1', properties: { session_id: 's', total: 150, cart_id: 'c-7' } }, traits: { email: 'p@x.io' } });
  assert.is(response.statusCode, 200, response.body);
  const items = response.json().items;
  assert.equal(items.map((i: any) => i.step), ['nudge-with-coupon', 'nudge']);
  assert.equal(items[0].payload, { email: 'p@x.io', coupon: 'COMEBACK10', cart: 'c-7' });
  assert.is(items[1].payload.properties.email, 'p@x.io');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(server.recorder.received.length, delivered, 'nothing sent');
});

test('management: the entry trace explains a non-entry; instances and timelines', async () => {
  await server.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic() }, payload: { userId: 'u1', event: 'checkout_started', properties: { total: 5 } } });
  const trace = (await admin('GET', '/v1/profiles/u1/trace?journey=cart-abandonment')).json();
  assert.equal([trace.items[0].entered, trace.items[0].reason], [false, 'missing_identifier']);
  assert.equal([trace.items[1].entered], [true]);
  const instances = (await admin('GET', '/v1/journeys/cart-abandonment/instances?userId=u1')).json();
  assert.is(instances.items.length, 1);
  const instance = (await admin('GET', `/v1/instances/${instances.items[0].id}`)).json();
  assert.is(instance.step, 'wait-for-purchase');
  assert.is(instance.timeline[0].kind, 'enter');
  assert.ok(instance.timers.length === 2);
  const profile = (await admin('GET', '/v1/profiles/u1')).json();
  assert.is(profile.instances.length, 1);
  assert.is((await admin('GET', '/v1/instances/0-nope')).statusCode, 404);
});

test('management: audiences (computed and managed) and profile deletion', async () => {
  assert.is((await admin('PUT', '/v1/audiences/vip', { name: 'VIP', condition: { trait: 'plan', equals: 'pro' } })).statusCode, 200);
  assert.is((await admin('PUT', '/v1/audiences/beta', { name: 'Beta' })).statusCode, 200);
  assert.is((await admin('POST', '/v1/audiences/beta/members', { userIds: ['u1'] })).statusCode, 200);
  await server.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic() }, payload: { userId: 'u1', traits: { plan: 'pro' } } });
  const profileNow = (await admin('GET', '/v1/profiles/u1')).json();
  assert.equal([...profileNow.audiences].sort(), ['beta', 'vip'], JSON.stringify(profileNow));
  assert.is((await admin('PUT', '/v1/audiences/bad', { condition: { context: 'x.y', equals: 1 } })).statusCode, 400);
  const deleted = await admin('DELETE', '/v1/profiles/u1');
  assert.is(deleted.statusCode, 200, deleted.body);
  assert.is(deleted.json().instances, 1);
  assert.is((await admin('GET', '/v1/profiles/u1')).statusCode, 404);
  assert.is((await admin('GET', '/v1/journeys/cart-abandonment/instances?userId=u1')).json().items.length, 0);
  assert.is((await admin('GET', '/v1/profiles/u1/trace')).json().items.length, 0);
});

test('management: destinations with masked secrets; test send', async () => {
  const created = await admin('POST', '/v1/destinations', { id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/hook', secret: 'supersecretvalue' } });
  assert.is(created.statusCode, 201, created.body);
  const got = (await admin('GET', '/v1/destinations/hook')).json();
  assert.not.match(JSON.stringify(got), 'supersecret');
  assert.is((await admin('POST', '/v1/destinations', { id: 'bad', type: 'webhook', settings: {} })).statusCode, 400);
  const sent = (await admin('POST', '/v1/destinations/log/test')).json();
  assert.is(sent.ok, true);
  assert.ok(typeof sent.latencyMs === 'number');
});

test('operations: healthz, readyz, metrics, docs', async () => {
  assert.equal((await server.app.inject({ url: '/healthz' })).json(), { status: 'ok' });
  const ready = (await server.app.inject({ url: '/readyz' })).json();
  assert.is(ready.ready, true);
  const metrics = (await server.app.inject({ url: '/metrics' })).body;
  for (const name of ['journeys_events_in_total', 'journeys_entries_total', 'journeys_sends_total', 'journeys_outbox_depth', 'journeys_timers_pending', 'journeys_event_to_send_seconds_bucket']) assert.match(metrics, name);
  const docs = (await server.app.inject({ url: '/docs' })).json();
  assert.is(docs.openapi.startsWith('3'), true);
  assert.ok(docs.paths['/v1/track'] && docs.paths['/v1/journeys/{id}/preview']);
  const missing = await server.app.inject({ url: '/nope' });
  assert.is(missing.statusCode, 404);
  assert.is(missing.json().error.code, 'JRN_NOT_FOUND');
});

test.run();
