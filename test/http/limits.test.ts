import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/logger.js';
import { basic, testServer } from '../helpers/server.js';

const test = suite('http limits and logs');

test('backpressure: over the pending-events limit, 429 with Retry-After; no unbounded queue', async () => {
  const server = await testServer({ maxPendingEvents: 5 });
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => server.app.inject({
    method: 'POST', url: '/v1/track', headers: { authorization: basic(), 'content-type': 'application/json' },
    payload: JSON.stringify({ userId: `u${i}`, event: 'x' }),
  })));
  const statuses = responses.map((r) => r.statusCode);
  assert.ok(statuses.includes(200), 'some were accepted');
  const refused = responses.filter((r) => r.statusCode === 429);
  assert.ok(refused.length > 0, `some were refused: ${statuses.join(',')}`);
  for (const r of refused) {
    assert.is(r.headers['retry-after'], '1');
    assert.is(r.json().error.code, 'JRN_OVERLOADED');
  }
  // Once the commit is through, intake accepts again.
  await server.engine.settle();
  const again = await server.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(), 'content-type': 'application/json' }, payload: JSON.stringify({ userId: 'later', event: 'x' }) });
  assert.is(again.statusCode, 200);
  await server.close();
});

test('logs: secrets are redacted', () => {
  let out = '';
  const sink = new Writable({ write(chunk, _encoding, done) { out += chunk; done(); } });
  const logger = createLogger('info', sink);
  logger.info({ destination: { id: 'hook', settings: { url: 'http://x', secret: 'whsec_leak' } }, auth: { adminToken: 'at_leak', writeKeys: ['wk_leak'] } }, 'config');
  logger.flush?.();
  assert.match(out, '"config"');
  assert.not.match(out, 'whsec_leak');
  assert.not.match(out, 'at_leak');
  assert.not.match(out, 'wk_leak');
  assert.match(out, '[redacted]');
});

test.run();
