import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { LIBRARY } from '../../src/version.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const test = suite('cli simulate');

async function run(args: string[], cwd = root) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, cwd };
  const code = await main(args, io);
  return { code, stdout, stderr, lines: stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

function events(lines: object[], extra = ''): string {
  const at = mkdtempSync(join(tmpdir(), 'journeys-sim-'));
  const file = join(at, 'events.ndjson');
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n' + extra);
  return file;
}

const cart = [
  { type: 'identify', userId: 'user_1', traits: { email: 'ann@example.com' }, timestamp: '2026-03-01T09:00:00.000Z', messageId: 'i1' },
  { type: 'track', userId: 'user_1', event: 'checkout_started', properties: { session_id: 's1', total: 20 }, timestamp: '2026-03-01T10:00:00.000Z', messageId: 'msg-001' },
  { type: 'track', userId: 'u2', event: 'checkout_started', properties: { session_id: 's2', total: 20 }, timestamp: '2026-03-01T10:10:00.000Z', messageId: 'msg-002' },
  { type: 'track', userId: 'u2', event: 'purchase_completed', properties: { session_id: 's2' }, timestamp: '2026-03-01T10:40:00.000Z', messageId: 'msg-003' },
];

test('cli simulate: prints the expected lines for cart abandonment', async () => {
  const r = await run(['simulate', 'examples/cart-abandonment.json', events(cart)]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines.map((l) => [l.at, l.kind, l.userId, l.step, l.reason]), [
    ['2026-03-01T10:00:00.000Z', 'enter', 'user_1', 'wait-for-purchase', undefined],
    ['2026-03-01T10:10:00.000Z', 'enter', 'u2', 'wait-for-purchase', undefined],
    ['2026-03-01T10:40:00.000Z', 'exit', 'u2', 'wait-for-purchase', 'completed'],
    ['2026-03-01T11:00:00.000Z', 'send', 'user_1', 'nudge', undefined],
    ['2026-03-01T11:00:00.000Z', 'exit', 'user_1', 'nudge', 'completed'],
  ]);
  const send = r.lines[3];
  assert.equal(Object.keys(send), ['at', 'kind', 'journey', 'version', 'instance', 'userId', 'step', 'destination', 'payload']);
  assert.is(send.instance, '18-e1fb4625453ec3e233d5acff', 'the instance id of vectors.json');
  assert.is(send.payload.messageId, 'jrn-2dfb4966ad613fb856bebe9dacdbebe6', 'the messageId of vectors.json');
  assert.is(send.version, 1);
  assert.is(send.payload.properties.email, 'ann@example.com');
  assert.is(send.payload.context.library.version, LIBRARY.version);
});

test('cli simulate: the same inputs give byte-identical output, run after run', async () => {
  const file = events(cart);
  const first = await run(['simulate', 'examples/cart-abandonment.json', file, '--explain']);
  const second = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'simulate', 'examples/cart-abandonment.json', file, '--explain'], { cwd: root, encoding: 'utf8' });
  assert.is(second.status, 0, second.stderr);
  assert.is(second.stdout, first.stdout);
});

test('cli simulate: a malformed events line stops the run naming the file and line', async () => {
  const file = events(cart.slice(0, 2), '{"type":"track", "userId": \n');
  const r = await run(['simulate', 'examples/cart-abandonment.json', file]);
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, `${file}:3:`);
  const missingEvent = events([{ type: 'track', userId: 'u', timestamp: '2026-03-01T10:00:00.000Z' }]);
  const r2 = await run(['simulate', 'examples/cart-abandonment.json', missingEvent]);
  assert.match(r2.stderr, `${missingEvent}:1:`);
  assert.match(r2.stderr, '"event"');
  const noTimestamp = events([{ type: 'track', userId: 'u', event: 'x' }]);
  assert.match((await run(['simulate', 'examples/cart-abandonment.json', noTimestamp])).stderr, 'timestamp');
});

test('cli simulate: --until stops the clock', async () => {
  const r = await run(['simulate', 'examples/cart-abandonment.json', events(cart), '--until', '2026-03-01T10:30:00.000Z']);
  assert.equal(r.lines.map((l) => l.kind), ['enter', 'enter']);
});

test('cli simulate: --destinations makes an unknown destination a validation error', async () => {
  const at = mkdtempSync(join(tmpdir(), 'journeys-sim-'));
  writeFileSync(join(at, 'destinations.json'), JSON.stringify([{ id: 'email', type: 'log', settings: {} }]));
  const r = await run(['simulate', 'examples/cart-abandonment.json', events(cart), '--destinations', join(at, 'destinations.json')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, '/steps/2/destination unknown_destination');
});

test('cli simulate: --audiences feeds entry audiences', async () => {
  const at = mkdtempSync(join(tmpdir(), 'journeys-sim-'));
  const journey = JSON.parse(readFileSync(join(root, 'examples/form-forwarding.json'), 'utf8'));
  journey.entry.audience = 'pros';
  writeFileSync(join(at, 'journey.json'), JSON.stringify(journey));
  writeFileSync(join(at, 'audiences.json'), JSON.stringify([{ id: 'pros', condition: { trait: 'plan', equals: 'pro' } }]));
  const file = events([
    { type: 'identify', userId: 'a', traits: { plan: 'pro' }, timestamp: '2026-03-01T09:00:00.000Z' },
    { type: 'track', userId: 'a', event: 'form_submitted', properties: { submission_id: '1' }, timestamp: '2026-03-01T10:00:00.000Z' },
    { type: 'track', userId: 'b', event: 'form_submitted', properties: { submission_id: '1' }, timestamp: '2026-03-01T10:00:00.000Z' },
  ]);
  const r = await run(['simulate', join(at, 'journey.json'), file, '--audiences', join(at, 'audiences.json'), '--explain']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.lines.map((l) => [l.kind, l.userId, l.reason]), [
    ['enter', 'a', undefined], ['send', 'a', undefined], ['exit', 'a', 'completed'], ['skip', 'b', 'not_in_audience'],
  ]);
});

test('version: the payload library version is the package version', () => {
  assert.is(LIBRARY.version, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
});

test.run();
