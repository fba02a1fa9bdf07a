/**
 * Cluster mode, end to end: two worker processes (`journeys serve --nats`), events published by a
 * plain NATS client to `journeys.ingest`, sends received by a real webhook receiver.
 */
import * as assert from 'uvu/assert';
import { JourneysClient } from '../../src/index.js';
import { shardOf } from '../../src/machines/hashing.js';
import { JourneysError } from '../../src/errors.js';
import { clusterSuite } from '../helpers/cluster.js';

const cluster = await clusterSuite('cluster: journeys.ingest', 'ingest');
const { test, it, nc, prefix, receiver, workers } = cluster;

test.before(async () => {
  if (!nc) return;
  await cluster.start({ workerId: 'a', shards: 16, hold: '1500ms' });
  await cluster.start({ workerId: 'b', shards: 16, hold: '1500ms' });
});

it('events from a plain NATS client enter journeys and produce sends; a profile\'s events apply in order', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  // Both workers share the 16 shards.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [a, b] = await Promise.all(workers.map((w) => w.readyz()));
    if (a!.shards.owned + b!.shards.owned === 16 && a!.shards.owned > 0 && b!.shards.owned > 0) break;
    if (Date.now() > deadline) throw new Error(`shards not shared: ${JSON.stringify([a, b])}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const profiles = 200;
  for (let i = 0; i < profiles; i++) {
    const userId = `u${i}`;
    nc.publish(`${prefix}.ingest`, JSON.stringify({ type: 'track', userId, event: 'checkout_started', messageId: `c-${i}`, properties: { session_id: `s${i}`, total: 150, cart_id: `cart${i}`, email: `${userId}@example.com` } }));
    // Every other shopper buys right away: published after the checkout, it must apply after it.
    if (i % 2 === 0) nc.publish(`${prefix}.ingest`, JSON.stringify({ type: 'track', userId, event: 'purchase_completed', messageId: `p-${i}`, properties: { session_id: `s${i}` } }));
  }
  nc.publish(`${prefix}.ingest`, JSON.stringify({ type: 'track', event: 'checkout_started', properties: {} }));
  await nc.flush();
  await receiver.waitFor(profiles / 2, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // any wrong nudge would have come by now
  // The mapped body of the coupon nudge names the cart: one nudge per shopper who did not buy.
  const nudged = receiver.requests.map((r) => r.json.cart as string).sort();
  const expected = Array.from({ length: profiles }, (_, i) => i).filter((i) => i % 2 === 1).map((i) => `cart${i}`).sort();
  assert.equal(nudged, expected);
  for (const request of receiver.requests) assert.is(request.json.coupon, 'COMEBACK10');
  const rejected = workers.flatMap((w) => w.logs).find((line) => line.msg === 'rejected an ingest event');
  assert.ok(rejected, 'the event without userId or anonymousId is rejected');
  assert.is(rejected!.field, 'userId');
  const status = await workers[0]!.readyz();
  assert.equal(status.shards.list.length, status.shards.owned);
});

it('the TypeScript client publishes onto the shard subjects; links it makes resolve everywhere', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  receiver.requests.length = 0;
  const client = await JourneysClient.connect({ connection: nc, prefix });
  assert.is(client.shards, 16);
  try {
    await client.track({ event: 'checkout_started', properties: {} });
    assert.unreachable('an event without ids is refused');
  } catch (error) {
    assert.is((error as JourneysError).code, 'JRN_INVALID_EVENT');
    assert.equal((error as JourneysError).details, { field: 'userId' });
  }
  const identified = await client.identify({ anonymousId: 'visitor-1', userId: 'client-user', traits: { email: 'c@example.com' } });
  assert.is(identified.profileKey, 'client-user');
  const results = [];
  for (let i = 0; i < 30; i++) {
    const ids = i === 0 ? { anonymousId: 'visitor-1' } : { userId: `cu${i}` };
    results.push(await client.track({ ...ids, event: 'checkout_started', messageId: `cc-${i}`, properties: { session_id: `cs${i}`, total: 150, cart_id: `ccart${i}` } }));
  }
  assert.is(results[0]!.profileKey, 'client-user', 'the anonymous event resolves through the link the client made');
  for (const result of results) assert.is(result.shard, shardOf(result.profileKey, 16));
  assert.ok((await client.track({ userId: 'cu1', event: 'checkout_started', messageId: 'cc-1', properties: { session_id: 'cs1' } })).duplicate, 'JetStream drops a repeated messageId');
  await receiver.waitFor(30, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(receiver.requests.map((r) => r.json.cart).sort(), Array.from({ length: 30 }, (_, i) => `ccart${i}`).sort());
  await client.close();
});

test.run();
