import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DeliveryThread } from '../../src/destinations/delivery-thread.js';

const test = suite('destinations: the delivery thread');

/** A real HTTP server on a loopback port; `hold` keeps requests unanswered until released. */
async function receiver() {
  const keys: string[] = [];
  const held: ServerResponse[] = [];
  let hold = false;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    for await (const _ of request);
    keys.push(String(request.headers['idempotency-key']));
    if (hold) held.push(response);
    else response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url, keys,
    holdRequests: (on: boolean) => (hold = on),
    get held() { return held.length; },
    close: () => { for (const response of held) response.destroy(); server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); },
  };
}

const until = async (check: () => boolean) => { while (!check()) await new Promise((resolve) => setTimeout(resolve, 5)); };

test('sends made in one turn go over together and each comes back with its own result', async () => {
  const hook = await receiver();
  const thread = new DeliveryThread();
  const client = thread.open({ url: hook.url }, 8);
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => thread.send(client, `jrn-${i}`, { type: 'track', event: 'E', properties: { i } })));
  assert.ok(results.every((result) => result.ok && result.status === 200 && result.body === 'ok'));
  assert.equal(hook.keys.slice().sort(), Array.from({ length: 200 }, (_, i) => `jrn-${i}`).sort(), 'every messageId arrived once');
  await thread.close(client);
  await hook.close();
});

test('a thread that dies fails its sends in flight as retryable; the next send starts a new thread', async () => {
  const hook = await receiver();
  const thread = new DeliveryThread();
  const client = thread.open({ url: hook.url }, 4);
  hook.holdRequests(true);
  const stuck = thread.send(client, 'jrn-stuck', { type: 'track', event: 'E' });
  await until(() => hook.held === 1);
  await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  const failed = await stuck;
  assert.equal([failed.ok, (failed as { retryable?: boolean }).retryable], [false, true]);
  assert.match((failed as { error: string }).error, /delivery thread/);
  hook.holdRequests(false);
  const next = await thread.send(client, 'jrn-next', { type: 'track', event: 'E' });
  assert.ok(next.ok, 'a new thread delivers, with the client opened again');
  await thread.close(client);
  await hook.close();
});

test('a send to a closed client is refused as retryable, and closing the last client stops the thread', async () => {
  const hook = await receiver();
  const thread = new DeliveryThread();
  const a = thread.open({ url: hook.url }, 2);
  const b = thread.open({ url: hook.url }, 2);
  assert.ok((await thread.send(a, 'jrn-a', { type: 'track', event: 'E' })).ok);
  await thread.close(a);
  const refused = await thread.send(a, 'jrn-a2', { type: 'track', event: 'E' });
  assert.equal([refused.ok, (refused as { retryable?: boolean }).retryable], [false, true]);
  assert.ok((await thread.send(b, 'jrn-b', { type: 'track', event: 'E' })).ok, 'the other client still delivers');
  await thread.close(b);
  assert.is((thread as unknown as { worker: unknown }).worker, undefined, 'no thread left');
  await hook.close();
});

test.run();
