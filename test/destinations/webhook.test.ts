import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeliveryResult, OutboxRecord } from '../../src/destinations/types.js';
import { outboxRecord as makeRecord } from '../helpers/outbox-record.js';
import { validateWebhookSettings, verifySignature, webhookDestination } from '../../src/destinations/webhook.js';
import { LIBRARY } from '../../src/version.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Respond = (request: IncomingMessage, response: ServerResponse) => void;

/** A real HTTP server on a loopback port that records what it receives and answers as told. */
async function startReceiver() {
  const received: Received[] = [];
  let respond: Respond = (_, response) => response.end('ok');
  let connections = 0;
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks) });
    respond(request, response);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get connections() {
      return connections;
    },
    answer(next: Respond) {
      respond = next;
    },
    reset() {
      received.length = 0;
      respond = (_, response) => response.end('ok');
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function outboxRecord(body: Record<string, unknown> = { type: 'track', event: 'Cart Abandoned', userId: 'u_1', properties: { email: 'ann@example.com', note: 'héllo ✓' } }): OutboxRecord {
  return makeRecord(body, { destination: 'hook' });
}

const status = (code: number, body = '', headers: Record<string, string> = {}): Respond => (_, response) => {
  response.writeHead(code, headers);
  response.end(body);
};

function failed(result: DeliveryResult) {
  if (result.ok) throw new assert.Assertion({ message: 'expected a failed delivery', actual: result, expects: { ok: false }, operator: 'ok' });
  return result;
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const context = { receiver: undefined as unknown as Receiver };
function withReceiver(name: string) {
  const test = suite(name, context);
  test.before(async (ctx) => {
    ctx.receiver = await startReceiver();
  });
  test.before.each((ctx) => ctx.receiver.reset());
  test.after(async (ctx) => ctx.receiver.close());
  return test;
}

const delivery = withReceiver('webhook: delivery');

delivery('2xx is delivered with the exact body bytes and the protocol headers', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  const record = outboxRecord();
  receiver.answer(status(201, 'created'));
  const result = await driver.deliver(record);
  assert.equal(result, { ok: true, status: 201, body: 'created' });
  const [request] = receiver.received;
  assert.is(request!.method, 'POST');
  assert.is(request!.url, '/hook');
  assert.ok(request!.body.equals(Buffer.from(JSON.stringify(record.body))));
  assert.is(request!.headers['content-type'], 'application/json');
  assert.is(request!.headers['idempotency-key'], record.messageId);
  assert.is(request!.headers['user-agent'], `journeys/${LIBRARY.version}`);
  assert.is(request!.headers['x-journeys-signature'], undefined, 'no secret, no signature');
  await driver.close!();
});

delivery('on the caller\'s thread (thread: false) the same request goes out and the same result comes back', async ({ receiver }) => {
  const threaded = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url, secret: 's3cret' } });
  const local = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url, secret: 's3cret' } }, { thread: false });
  assert.is(local.window, undefined, 'in-thread: the dispatcher hands over only `concurrency` sends');
  const record = outboxRecord();
  receiver.answer(status(202, 'accepted'));
  const results = [await threaded.deliver(record), await local.deliver(record)];
  assert.equal(results[1], results[0]);
  assert.equal(results[0], { ok: true, status: 202, body: 'accepted' });
  const [a, b] = receiver.received;
  assert.ok(a!.body.equals(b!.body), 'the same bytes');
  for (const name of ['content-type', 'idempotency-key', 'user-agent']) assert.is(b!.headers[name], a!.headers[name], name);
  assert.ok(verifySignature('s3cret', b!.headers['x-journeys-signature'] as string, b!.body), 'signed the same way');
  await threaded.close!();
  await local.close!();
});

delivery('method, query and configured headers are honoured', async ({ receiver }) => {
  const settings = { url: `${receiver.url}?source=journeys`, method: 'PUT', headers: { Authorization: 'Bearer abc', 'X-Tenant': 't1' } };
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings });
  assert.equal(await driver.deliver(outboxRecord()), { ok: true, status: 200, body: 'ok' });
  const [request] = receiver.received;
  assert.is(request!.method, 'PUT');
  assert.is(request!.url, '/hook?source=journeys');
  assert.is(request!.headers.authorization, 'Bearer abc');
  assert.is(request!.headers['x-tenant'], 't1');
  await driver.close!();
});

delivery('the same record delivered twice sends identical bytes and key', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  const record = outboxRecord();
  receiver.answer(status(503));
  await driver.deliver(record);
  receiver.answer(status(200));
  await driver.deliver({ ...record, attempts: 1, lastError: 'HTTP 503' });
  const [first, second] = receiver.received;
  assert.ok(first!.body.equals(second!.body));
  assert.is(first!.headers['idempotency-key'], second!.headers['idempotency-key']);
  await driver.close!();
});

delivery('keep-alive: several deliveries reuse one connection', async ({ receiver }) => {
  const before = receiver.connections;
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  for (let i = 0; i < 5; i++) {
    assert.ok((await driver.deliver(outboxRecord())).ok);
    // The dispatcher commits between deliveries; undici frees the connection one turn after the body ends.
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.is(receiver.received.length, 5);
  assert.is(receiver.connections - before, 1);
  await driver.close!();
});

delivery('keep-alive: back-to-back and concurrent deliveries stay within the pool', async ({ receiver }) => {
  const before = receiver.connections;
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url }, concurrency: 4 });
  for (let i = 0; i < 10; i++) assert.ok((await driver.deliver(outboxRecord())).ok);
  assert.ok(receiver.connections - before <= 2, `${receiver.connections - before} connections for 10 sequential sends`);
  const results = await Promise.all(Array.from({ length: 20 }, () => driver.deliver(outboxRecord())));
  assert.ok(results.every((result) => result.ok));
  assert.ok(receiver.connections - before <= 4, `${receiver.connections - before} connections with concurrency 4`);
  await driver.close!();
});

delivery('concurrency: more sends handed over than its concurrency, never more requests in flight at the receiver', async ({ receiver }) => {
  let open = 0;
  let most = 0;
  receiver.answer((_, response) => {
    open++;
    most = Math.max(most, open);
    setTimeout(() => { open--; response.end('ok'); }, 20);
  });
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url }, concurrency: 4 });
  assert.ok((driver.window ?? 4) > 4, 'the dispatcher may hand over more than the concurrency');
  const results = await Promise.all(Array.from({ length: driver.window! }, () => driver.deliver(outboxRecord())));
  assert.ok(results.every((result) => result.ok));
  assert.is(most, 4, `${most} requests in flight at once with concurrency 4`);
  await driver.close!();
});

delivery.run();

const signature = withReceiver('webhook: signature');

signature('a signed request verifies; a wrong secret, tampered body or old timestamp does not', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url, secret: 'whsec_test' } });
  await driver.deliver(outboxRecord());
  const [request] = receiver.received;
  const header = request!.headers['x-journeys-signature'] as string;
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  const t = Number(/t=(\d+)/.exec(header)![1]);
  assert.ok(Math.abs(t - Date.now() / 1000) < 5, 't is the time of the attempt');
  assert.ok(verifySignature('whsec_test', header, request!.body));
  assert.ok(verifySignature('whsec_test', header, request!.body.toString('utf8')), 'as a string too');
  assert.not.ok(verifySignature('whsec_other', header, request!.body));
  const tampered = Buffer.from(request!.body.toString('utf8').replace('Cart Abandoned', 'Cart Abandoned!'));
  assert.not.ok(verifySignature('whsec_test', header, tampered));
  assert.not.ok(verifySignature('whsec_test', header, request!.body, 300, Date.now() + 301_000));
  assert.ok(verifySignature('whsec_test', header, request!.body, 600, Date.now() + 301_000), 'within a wider tolerance');
  assert.not.ok(verifySignature('whsec_test', undefined, request!.body));
  assert.not.ok(verifySignature('whsec_test', 'v1=abc', request!.body));
  await driver.close!();
});

signature('each attempt is signed at its own time', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url, secret: 's' } });
  const record = outboxRecord();
  await driver.deliver(record);
  await driver.deliver(record);
  for (const request of receiver.received) assert.ok(verifySignature('s', request.headers['x-journeys-signature'] as string, request.body));
  await driver.close!();
});

signature.run();

const failures = withReceiver('webhook: failures');

failures('500, 503, 408 and 429 are retryable', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  for (const code of [500, 503, 408, 429]) {
    receiver.answer(status(code, `down ${code}`));
    assert.equal(await driver.deliver(outboxRecord()), { ok: false, retryable: true, status: code, body: `down ${code}`, error: `HTTP ${code}` });
  }
  await driver.close!();
});

failures('Retry-After in seconds and as an HTTP date', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  receiver.answer(status(429, '', { 'Retry-After': '2' }));
  assert.is(failed(await driver.deliver(outboxRecord())).retryAfterMs, 2000);
  receiver.answer(status(503, '', { 'Retry-After': new Date(Date.now() + 30_000).toUTCString() }));
  const retryAfterMs = failed(await driver.deliver(outboxRecord())).retryAfterMs!;
  assert.ok(retryAfterMs > 28_000 && retryAfterMs <= 30_000, `${retryAfterMs}`);
  await driver.close!();
});

failures('400 and 404 are terminal with status and body', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  receiver.answer(status(400, '{"error":"bad email"}', { 'Retry-After': '5' }));
  assert.equal(await driver.deliver(outboxRecord()), { ok: false, retryable: false, status: 400, body: '{"error":"bad email"}', error: 'HTTP 400' });
  receiver.answer(status(404, 'no such hook'));
  assert.equal(await driver.deliver(outboxRecord()), { ok: false, retryable: false, status: 404, body: 'no such hook', error: 'HTTP 404' });
  await driver.close!();
});

failures('a long response body is kept to 4 KB', async ({ receiver }) => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url } });
  receiver.answer(status(500, 'x'.repeat(100_000)));
  assert.is(failed(await driver.deliver(outboxRecord())).body!.length, 4096);
  await driver.close!();
});

failures('connection refused is retryable', async () => {
  const closed = await startReceiver();
  await closed.close();
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: closed.url } });
  const result = failed(await driver.deliver(outboxRecord()));
  assert.is(result.retryable, true);
  assert.match(result.error, /ECONNREFUSED/);
  await driver.close!();
});

failures('a receiver that never answers times out, retryably', async ({ receiver }) => {
  receiver.answer(() => {});
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: receiver.url, timeoutMs: 200 } });
  const started = Date.now();
  assert.equal(await driver.deliver(outboxRecord()), { ok: false, retryable: true, error: 'timeout after 200 ms' });
  assert.ok(Date.now() - started < 2000);
  await driver.close!();
});

failures.run();

const settings = suite('webhook: settings');

settings('valid settings have no problems', () => {
  assert.equal(validateWebhookSettings({ url: 'https://example.com/hook', method: 'PATCH', headers: { Authorization: 'x' }, secret: 's', timeoutMs: 5000 }), []);
  assert.equal(validateWebhookSettings({ url: 'http://localhost:8080', timeoutMs: '5s' }), []);
});

settings('every problem names its setting', () => {
  const problems = validateWebhookSettings({ url: 'ftp://example.com', method: 'GET', headers: { 'Idempotency-Key': 'x', 'X-Bad': 1 }, secret: '', timeoutMs: -1, retries: 3 });
  for (const name of ['settings.url', 'settings.method', 'settings.headers."Idempotency-Key"', 'settings.headers."X-Bad"', 'settings.secret', 'settings.timeoutMs', 'settings.retries']) {
    assert.ok(problems.some((problem) => problem.startsWith(name)), `${name} in ${problems.join(' | ')}`);
  }
  assert.ok(validateWebhookSettings({})[0]!.startsWith('settings.url is required'));
});

settings('a driver with invalid settings fails its sends terminally, never throws', async () => {
  const driver = webhookDestination({ id: 'hook', type: 'webhook', settings: { url: 'not a url' } });
  const result = failed(await driver.deliver(outboxRecord()));
  assert.is(result.retryable, false);
  assert.match(result.error, /settings\.url/);
});

settings.run();
