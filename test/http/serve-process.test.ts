import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analytics } from '@segment/analytics-node';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifySignature } from '../../src/destinations/webhook.js';
import { removeDir, tempDir } from '../helpers/engine.js';
import { Receiver } from '../helpers/receiver.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const test = suite('http: a real server process on a real port');
const SECRET = 'whsec_test_secret';

interface Server { process: ChildProcess; base: string; output: string; exited: Promise<number | null> }

async function startServer(configFile: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'serve', '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const server: Server = { process: child, base: '', output: '', exited: new Promise((resolve) => child.on('exit', resolve)) };
  child.stderr!.on('data', (chunk) => { server.output += chunk; });
  server.base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${server.output}`)), 30_000);
    child.stdout!.on('data', (chunk) => {
      server.output += chunk;
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void server.exited.then((code) => reject(new Error(`the server exited (${code}): ${server.output}`)));
  });
  return server;
}

function setup(receiverUrl: string) {
  const dir = tempDir('journeys-serve-');
  const journey = JSON.parse(readFileSync(join(root, 'examples/cart-abandonment.json'), 'utf8'));
  journey.steps[0].maxDuration = '2s';
  writeFileSync(join(dir, 'cart.json'), JSON.stringify(journey));
  const config = {
    dataDir: './data',
    http: { host: '127.0.0.1', port: 0 },
    shards: 8,
    auth: { writeKeys: ['wk_test'], adminToken: 'admin-test' },
    destinations: [
      { id: 'crm-webhook', type: 'webhook', settings: { url: receiverUrl, secret: SECRET }, retry: { initialBackoff: '100ms', maxBackoff: '1s' } },
      { id: 'email', type: 'log', settings: {} },
    ],
    journeys: ['./cart.json'],
    log: { level: 'warn' },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { dir, configFile: join(dir, 'config.json') };
}

test('@segment/analytics-node → the server → the webhook nudge, signed, with Idempotency-Key; a purchase within the hold gives no nudge', async () => {
  const receiver = new Receiver();
  const { dir, configFile } = setup(await receiver.start());
  const server = await startServer(configFile);
  const analytics = new Analytics({ writeKey: 'wk_test', host: server.base, flushAt: 1, flushInterval: 50 });
  analytics.identify({ userId: 'ann', traits: { email: 'ann@example.com' } });
  analytics.track({ userId: 'ann', event: 'checkout_started', properties: { session_id: 's-ann', total: 20 } });
  analytics.track({ userId: 'bob', event: 'checkout_started', properties: { session_id: 's-bob', total: 20 } });
  analytics.track({ userId: 'bob', event: 'purchase_completed', properties: { session_id: 's-bob' } });
  await analytics.closeAndFlush({ timeout: 10_000 });

  await receiver.waitFor(1, 15_000);
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // bob's hold ends too: no nudge may come
  assert.is(receiver.requests.length, 1, JSON.stringify(receiver.requests.map((r) => r.json?.userId)));
  const [nudge] = receiver.requests;
  assert.is(nudge!.json.userId, 'ann');
  assert.is(nudge!.json.event, 'Cart Abandoned');
  assert.is(nudge!.json.properties.email, 'ann@example.com');
  assert.is(nudge!.json.properties.journey_metadata.step_id, 'nudge');
  assert.is(nudge!.json.properties.journey_context.checkout_started.properties.session_id, 's-ann');
  assert.is(nudge!.headers['idempotency-key'], nudge!.json.messageId);
  assert.match(nudge!.json.messageId, /^jrn-[0-9a-f]{32}$/);
  assert.ok(verifySignature(SECRET, String(nudge!.headers['x-journeys-signature']), nudge!.body), 'the signature verifies');

  server.process.kill('SIGTERM');
  assert.is(await server.exited, 0, server.output);
  await receiver.stop();
  removeDir(dir);
});

test('SIGKILL of the server with holds running: after restart the timers fire; every event that got 200 is kept', async () => {
  const receiver = new Receiver();
  const { dir, configFile } = setup(await receiver.start());
  let server = await startServer(configFile);
  const auth = `Basic ${Buffer.from('wk_test:').toString('base64')}`;
  for (let i = 0; i < 20; i++) {
    const response = await fetch(`${server.base}/v1/track`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ userId: `u${i}`, event: 'checkout_started', properties: { session_id: `s${i}`, total: 5 }, messageId: `kill-${i}` }) });
    assert.is(response.status, 200);
  }
  server.process.kill('SIGKILL');
  await server.exited;
  assert.is(receiver.requests.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 2_200));
  server = await startServer(configFile);
  await receiver.waitFor(20, 15_000);
  const users = new Set(receiver.requests.map((r) => r.json.userId));
  assert.is(users.size, 20);
  const instances = await fetch(`${server.base}/v1/journeys/cart-abandonment/instances?limit=100`, { headers: { authorization: 'Bearer admin-test' } });
  assert.is((await instances.json()).items.length, 20);
  server.process.kill('SIGTERM');
  await server.exited;
  await receiver.stop();
  removeDir(dir);
});

test.run();
