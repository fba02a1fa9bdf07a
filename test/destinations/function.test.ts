import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { functionDestination, validateFunctionSettings } from '../../src/destinations/function.js';
import type { DeliveryResult, DestinationDriver, OutboxRecord } from '../../src/destinations/types.js';

const test = suite('destinations: function');

const drivers: DestinationDriver[] = [];
const destination = (settings: Record<string, unknown>, options = {}) => {
  const driver = functionDestination({ id: 'fn', type: 'function', settings }, options);
  drivers.push(driver);
  return driver;
};
let seq = 0;
const record = (body: Record<string, unknown>): OutboxRecord => ({
  seq: ++seq, messageId: `jrn-${seq}`, destination: 'fn', journeyId: 'j', version: 1, instanceId: 'i', step: 's', profileKey: 'u1',
  body, createdAt: 0, attempts: 0, nextAttemptAt: 0,
});
const track = (event: string, properties: Record<string, unknown> = {}) => record({ type: 'track', event, userId: 'u1', properties });
const timed = async (run: () => Promise<DeliveryResult>) => {
  const started = Date.now();
  const result = await run();
  return { result, ms: Date.now() - started };
};
const terminal = (result: DeliveryResult, pattern: RegExp) => {
  assert.is(result.ok, false, JSON.stringify(result));
  if (result.ok) return;
  assert.is(result.retryable, false, result.error);
  assert.match(result.error, pattern);
};

/** One function that misbehaves on request, so the same destination can show it recovers. */
const MISCHIEF = `
async function onEvent(event, settings) {
  switch (event.event) {
    case 'loop': while (true) {}
    case 'loop after await': await Promise.resolve(); while (true) {}
    case 'allocate': { const a = []; while (true) a.push(new Array(1e6).fill(1)); }
    case 'exit': process.exit(1);
    case 'require': return require('fs').readFileSync('/etc/hostname', 'utf8');
    case 'escape': return URL.constructor('return process')().pid;
    case 'throw later': setTimeout(() => { throw new Error('boom'); }, 1); await new Promise((r) => setTimeout(r, 100)); return;
    case 'sleep': await new Promise((r) => setTimeout(r, 50)); return 'slept';
    default: return 'fine';
  }
}`;
const good = async (driver: DestinationDriver) => assert.equal(await driver.deliver(track('good')), { ok: true, body: '"fine"' });

let server: Server;
let requests: { method?: string; headers: IncomingHttpHeaders; body: string }[] = [];

test.before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      requests.push({ method: request.method, headers: request.headers, body });
      response.writeHead(201, { 'content-type': 'application/json', 'x-echo': 'yes' }).end(JSON.stringify({ received: body.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

test.after(async () => {
  await Promise.all(drivers.map((driver) => driver.close?.()));
  await new Promise((resolve) => server.close(resolve));
});

test('function: a function that returns delivers, reading its settings', async () => {
  const driver = destination({ code: 'async function onEvent(event, settings) { return { event: event.event, key: settings.apiKey }; }', settings: { apiKey: 'k1' } });
  assert.equal(await driver.deliver(track('Cart Abandoned')), { ok: true, body: '{"event":"Cart Abandoned","key":"k1"}' });
});

test('function: onTrack is preferred for track events, onEvent takes the rest', async () => {
  const driver = destination({ code: 'async function onEvent() { return "event"; }\nasync function onTrack(event) { return "track " + event.event; }' });
  assert.equal(await driver.deliver(track('Signed Up')), { ok: true, body: '"track Signed Up"' });
  assert.equal(await driver.deliver(record({ type: 'identify', userId: 'u1' })), { ok: true, body: '"event"' });
});

test('function: fetch reaches a real server with the body and reads the response', async () => {
  requests = [];
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const driver = destination({
    settings: { url },
    code: `async function onEvent(event, settings) {
      const response = await fetch(settings.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-id': crypto.randomUUID() }, body: JSON.stringify(event) });
      if (!response.ok) throw new RetryError('status ' + response.status);
      return { status: response.status, echo: response.headers.get('X-Echo'), json: await response.json() };
    }`,
  });
  const body = { type: 'track', event: 'Order Completed', userId: 'u1', properties: { total: 42 } };
  const result = await driver.deliver(record(body));
  assert.equal(requests.length, 1);
  assert.is(requests[0]!.method, 'POST');
  assert.equal(JSON.parse(requests[0]!.body), body);
  assert.match(String(requests[0]!.headers['x-id']), /^[0-9a-f-]{36}$/);
  assert.equal(result, { ok: true, body: JSON.stringify({ status: 201, echo: 'yes', json: { received: requests[0]!.body.length } }) });
});

test('function: throwing RetryError retries, anything else is terminal with its message', async () => {
  const driver = destination({ code: `async function onEvent(event) { if (event.event === 'later') throw new RetryError('later'); throw new Error('bad'); }` });
  assert.equal(await driver.deliver(track('later')), { ok: false, retryable: true, error: 'later' });
  assert.equal(await driver.deliver(track('other')), { ok: false, retryable: false, error: 'bad' });
});

test('function: a loop at the top level times out near the limit', async () => {
  const driver = destination({ code: 'while (true) {}\nasync function onEvent() {}', timeoutMs: 500 });
  const { result, ms } = await timed(() => driver.deliver(track('any')));
  terminal(result, /^function timed out after 500 ms$/);
  assert.ok(ms >= 450 && ms < 3000, `${ms} ms`); // includes the child's start
  terminal(await driver.deliver(track('again')), /^function timed out after 500 ms$/); // the pool still answers
});

test('function: loops inside onEvent time out near the limit, and the pool recovers', async () => {
  const driver = destination({ code: MISCHIEF, timeoutMs: 500 });
  await good(driver);
  for (const event of ['loop', 'loop after await']) {
    const { result, ms } = await timed(() => driver.deliver(track(event)));
    terminal(result, /^function timed out after 500 ms$/);
    assert.ok(ms >= 450 && ms < 1500, `${event}: ${ms} ms`);
    await good(driver);
  }
});

test('function: an unbounded allocation exceeds the memory limit, and the pool recovers', async () => {
  const driver = destination({ code: MISCHIEF, memoryMb: 32 });
  terminal(await driver.deliver(track('allocate')), /^function exceeded its memory limit \(32 MB\)$/);
  await good(driver);
});

test('function: no process, no require, no way out through a host object', async () => {
  const driver = destination({ code: MISCHIEF, timeoutMs: 1000 });
  terminal(await driver.deliver(track('exit')), /process is not defined/);
  await good(driver);
  terminal(await driver.deliver(track('require')), /require is not defined/);
  await good(driver);
  terminal(await driver.deliver(track('escape')), /code generation from strings disallowed/i);
  await good(driver);
});

test('function: an error thrown where nobody catches it is a crash of its send', async () => {
  const driver = destination({ code: MISCHIEF, timeoutMs: 1000 });
  terminal(await driver.deliver(track('throw later')), /^function crashed: boom$/);
  await good(driver);
});

test('function: the engine keeps serving; sends beyond the pool queue', async () => {
  const driver = destination({ code: MISCHIEF }, { poolSize: 2 });
  const results = await Promise.all(Array.from({ length: 10 }, () => driver.deliver(track('sleep'))));
  assert.equal(results, Array.from({ length: 10 }, () => ({ ok: true, body: '"slept"' })));
});

test('function: close fails what is in flight as retryable, and later sends too', async () => {
  const driver = destination({ code: MISCHIEF });
  await good(driver);
  const inFlight = driver.deliver(track('loop after await'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await driver.close!();
  assert.equal(await inFlight, { ok: false, retryable: true, error: 'function destination closed' });
  assert.equal(await driver.deliver(track('good')), { ok: false, retryable: true, error: 'function destination closed' });
});

test('function: validation names each setting, and an invalid destination fails its sends', async () => {
  assert.equal(validateFunctionSettings({ code: MISCHIEF, settings: {}, timeoutMs: 500, memoryMb: 32 }), []);
  assert.equal(validateFunctionSettings({ code: 'const onTrack = async () => {}', timeoutMs: '2s' }), []);
  const problems = validateFunctionSettings({ code: 'async function send() {}', settings: [], timeoutMs: 0, memoryMb: 8, timeout: 5 });
  assert.equal(problems.map((problem) => problem.split(' ')[0]), ['settings.timeout', 'settings.code', 'settings.settings', 'settings.timeoutMs', 'settings.memoryMb']);
  assert.match(validateFunctionSettings({ code: 'async function onEvent( {' })[0]!, /^settings\.code does not compile/);
  assert.match(validateFunctionSettings({})[0]!, /^settings\.code is required/);
  const result = await destination({ code: 42 }).deliver(track('any'));
  terminal(result, /settings\.code/);
});

test.run();
