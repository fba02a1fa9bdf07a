/**
 * A worker on "another host" (a different, empty data directory) takes the shards of a worker
 * that was killed: it imports the shipped exports and replays the streams from their sequences,
 * and the sends are exactly those an uninterrupted run makes (the same messageIds).
 */
import * as assert from 'uvu/assert';
import { instanceIdOf, messageIdOf } from '../../src/machines/hashing.js';
import { clusterSuite, sleep } from '../helpers/cluster.js';

const cluster = await clusterSuite('cluster: takeover from an export', 'takeover');
const { test, it, nc, prefix, receiver } = cluster;
const SHARDS = 16;

function publishCheckouts(from: number, to: number, expected: Set<string>): void {
  for (let i = from; i < to; i++) {
    const userId = `t${i}`;
    const entry = `tc-${i}`;
    nc!.publish(`${prefix}.ingest`, JSON.stringify({ type: 'track', userId, event: 'checkout_started', messageId: entry, properties: { session_id: `s${i}`, total: 150, cart_id: `cart-${i}` } }));
    if (i % 2 === 0) nc!.publish(`${prefix}.ingest`, JSON.stringify({ type: 'track', userId, event: 'purchase_completed', messageId: `tp-${i}`, properties: { session_id: `s${i}` } }));
    else expected.add(messageIdOf(instanceIdOf('cart-abandonment', 1, userId, entry, SHARDS), 'nudge-with-coupon', 1));
  }
}

it('a worker with an empty data directory continues from the shipped export plus the replayed stream', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  const expected = new Set<string>();
  const a = await cluster.start({ workerId: 'host-a', shards: SHARDS, hold: '6s', exportInterval: '1s' });
  publishCheckouts(0, 400, expected);
  await nc.flush();
  // A applies them and ships its shards (every second); then it dies with every hold still waiting.
  await sleep(3_000);
  const shipped = a.logs.length;
  await a.kill();
  assert.is(receiver.requests.length, 0, 'no hold had timed out before the kill');
  assert.ok(shipped > 0);
  // More events while no worker runs: they wait in the streams.
  publishCheckouts(400, 600, expected);
  await nc.flush();

  const b = await cluster.start({ workerId: 'host-b', shards: SHARDS, hold: '6s', exportInterval: '1s' });
  await receiver.waitFor(expected.size, 40_000);
  await sleep(2_000);
  const received = new Set(receiver.requests.map((r) => String(r.headers['idempotency-key'])));
  assert.equal([...received].sort(), [...expected].sort(), 'exactly the sends of an uninterrupted run');
  assert.is(receiver.requests.length, expected.size, 'each once: the export held no send that had gone out');
  const imported = b.logs.filter((line) => line.msg === 'shard imported; replaying its stream');
  assert.ok(imported.length >= SHARDS / 2, `host-b imported ${imported.length} shards from the object store`);
  assert.ok(imported.every((line) => (line.from as number) > 1), 'and replayed each from after the export, not from the start');
  assert.is((await b.readyz()).shards.owned, SHARDS);
});

test.run();
