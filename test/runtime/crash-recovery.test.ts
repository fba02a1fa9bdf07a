import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EngineChild } from '../helpers/child.js';
import { removeDir, tempDir } from '../helpers/engine.js';

const test = suite('runtime: crash recovery (SIGKILL of a child process)');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readDeliveries = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []);

test('SIGKILL while instances hold: after restart every timer fires, no send repeats with another messageId, every acknowledged event is reflected', async () => {
  const dataDir = tempDir('journeys-crash-');
  const deliveries = join(dataDir, 'deliveries.ndjson');
  const args = [join(dataDir, 'data'), deliveries, '3s'];

  // Run 1: 200 checkouts over 50 profiles, a third purchased; killed while every hold waits.
  let { child } = await EngineChild.start(args);
  const acked: string[] = [];
  const purchased = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const user = `user-${i % 50}`;
    const event = { type: 'track', userId: user, event: 'checkout_started', properties: { session_id: `s-${i}`, total: 10 }, messageId: `checkout-${i}` };
    await child.ingest(event);
    acked.push(event.messageId);
    if (i % 3 === 0) {
      await child.ingest({ type: 'track', userId: user, event: 'purchase_completed', properties: { session_id: `s-${i}` }, messageId: `purchase-${i}` } as never);
      purchased.add(`checkout-${i}`);
    }
  }
  await child.kill();
  assert.is(readDeliveries(deliveries).length, 0, 'nothing was due before the kill');

  // Run 2: restart; kill again while the timers are firing.
  ({ child } = await EngineChild.start(args));
  const killAt = Date.now() + 10_000;
  while (readDeliveries(deliveries).length === 0 && Date.now() < killAt) await sleep(5);
  await child.kill();
  const midway = readDeliveries(deliveries).length;
  assert.ok(midway > 0, 'run 2 was killed while sends were going out');

  // Run 3: restart after every timer is overdue: they fire at once.
  await sleep(500);
  const started = Date.now();
  let ready;
  ({ child, ready } = await EngineChild.start(args));
  assert.ok(ready.timers >= 0);
  const expected = 200 - purchased.size;
  while (new Set(readDeliveries(deliveries).map((d) => d.instanceId)).size < expected && Date.now() - started < 15_000) await sleep(100);
  const instances = await child.instances();
  await child.kill();

  const all = readDeliveries(deliveries);
  const byInstance = new Map<string, Set<string>>();
  for (const delivery of all) byInstance.set(delivery.instanceId, (byInstance.get(delivery.instanceId) ?? new Set()).add(delivery.messageId));
  assert.is(byInstance.size, expected, `every unpurchased checkout nudged (midway: ${midway})`);
  for (const [instanceId, messageIds] of byInstance) assert.is(messageIds.size, 1, `one messageId for ${instanceId}`);
  const cart = instances.filter((i) => i.entry.startsWith('checkout-'));
  assert.is(cart.length, 200, 'every acknowledged checkout made an instance');
  assert.equal(new Set(cart.map((i) => i.entry)), new Set(acked));
  for (const instance of cart) {
    assert.is(instance.status, 'completed', instance.id);
    const nudged = byInstance.has(instance.id);
    assert.is(nudged, !purchased.has(instance.entry), `${instance.entry}: nudged only without a purchase`);
  }
  removeDir(dataDir);
});

test('a replayed messageId has no effect, and a "once" journey is entered once, across restarts', async () => {
  const dataDir = tempDir('journeys-once-');
  const args = [join(dataDir, 'data'), join(dataDir, 'deliveries.ndjson'), '3s'];
  let { child } = await EngineChild.start(args);
  const download = (messageId: string) => ({ type: 'track', userId: 'reader', event: 'content_downloaded', properties: { type: 'ebook' }, messageId });
  assert.is((await child.ingest(download('d-1'))).duplicate, false);
  assert.is((await child.ingest(download('d-1'))).duplicate, true);
  await child.kill();
  ({ child } = await EngineChild.start(args));
  assert.is((await child.ingest(download('d-1'))).duplicate, true, 'still a duplicate after a restart');
  assert.is((await child.ingest(download('d-2'))).duplicate, false);
  const instances = (await child.instances()).filter((i) => i.profileKey === 'reader');
  await child.kill();
  assert.is(instances.length, 1, 'entered once');
  assert.is(instances[0]!.entry, 'd-1');
  removeDir(dataDir);
});

test.run();
