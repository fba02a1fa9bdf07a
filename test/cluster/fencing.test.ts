/**
 * Fencing, in process: a worker whose lease is taken over (another revision in the KV bucket)
 * stops applying the shard at its next renewal, refuses to commit anything of it, and does not
 * take it back while the other holder's key lives. And the cluster's shard count is fixed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { ClusterWorker } from '../../src/cluster/worker.js';
import { clusterNames } from '../../src/cluster/names.js';
import { JourneysError } from '../../src/errors.js';
import { shardOf } from '../../src/machines/hashing.js';
import { silentLogger } from '../../src/logger.js';
import { encodeShardMessage, shardMsgId } from '../../src/transport/shard-message.js';
import { cleanUp, natsOrSkip, NATS_URL, uniquePrefix } from '../helpers/cluster.js';

const test = suite('cluster: fencing');
// Without a NATS server these tests are reported as skipped (and fail under JOURNEYS_REQUIRE_NATS).
const nc: NatsConnection | undefined = await natsOrSkip('cluster: fencing');
const it = nc ? test : test.skip;
const prefix = uniquePrefix('fence');
let worker: ClusterWorker | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dataDir = () => mkdtempSync(join(tmpdir(), 'journeys-fence-'));

test.before(async () => {
  if (!nc) return;
  worker = await ClusterWorker.start({ engine: { dataDir: dataDir(), shards: 4 }, cluster: { url: NATS_URL, prefix, workerId: 'holder', leaseTtlMs: 2_000, rebalanceMs: 200 }, logger: silentLogger });
});

test.after(async () => {
  await worker?.stop().catch(() => undefined);
  if (nc) {
    await cleanUp(nc, prefix);
    await nc.close();
  }
});

it('a taken-over lease stops the old holder: no apply, no commit, no taking it back', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  if (!worker) throw new Error('no worker');
  assert.equal(worker.owned(), [0, 1, 2, 3]);
  await worker.fence(new Set([0, 1, 2, 3])); // holds: passes

  // Another holder writes the key: a new revision (what a takeover does once the old key expired).
  const leases = await new Kvm(nc).open(clusterNames(prefix).leases);
  await leases.put('shard.0', 'thief');
  const until = Date.now() + 3_000;
  while (worker.owned().includes(0) && Date.now() < until) await sleep(50);
  assert.equal(worker.owned(), [1, 2, 3], 'the renewal found another revision: shard 0 is dropped');
  try {
    await worker.fence(new Set([0]));
    assert.unreachable('the fence lets nothing of shard 0 commit');
  } catch (error) {
    assert.instance(error, JourneysError);
    assert.is((error as JourneysError).code, 'JRN_FENCED');
  }

  // An event for shard 0 is not applied here any more; one for shard 1 still is.
  const js = jetstream(nc);
  const names = clusterNames(prefix);
  const keyIn = (shard: number) => { for (let i = 0; ; i++) if (shardOf(`u${i}`, 4) === shard) return `u${i}`; };
  const before0 = worker.engine.appliedSeq(0);
  for (const shard of [0, 1]) {
    const userId = keyIn(shard);
    const event = { type: 'track' as const, name: 'anything', userId, properties: {}, timestamp: new Date().toISOString(), messageId: `fence-${shard}` };
    await js.publish(names.shardSubject(shard), encodeShardMessage({ kind: 'event', event, profileKey: userId, arrival: Date.now() }), { msgID: shardMsgId(shard, event.messageId) });
  }
  await sleep(1_000);
  assert.is(worker.engine.appliedSeq(0), before0, 'shard 0 untouched');
  assert.ok(worker.engine.appliedSeq(1) > 0, 'shard 1 applied');
  // The thief's key lives (it is renewed here): the worker does not take shard 0 back.
  await leases.put('shard.0', 'thief');
  await sleep(600);
  assert.not.ok(worker.owned().includes(0));
});

it('a worker started with another shard count is refused', async () => {
  if (!nc) throw new Error('registered only with a NATS server');
  try {
    await ClusterWorker.start({ engine: { dataDir: dataDir(), shards: 8 }, cluster: { url: NATS_URL, prefix, workerId: 'other' }, logger: silentLogger });
    assert.unreachable('started');
  } catch (error) {
    assert.is((error as JourneysError).code, 'JRN_SHARD_MISMATCH');
    assert.match((error as Error).message, /created with 4 shards/);
  }
});

test.run();
