import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import type { CliIo } from '../../src/cli/io.js';
import { loadDocument } from '../../src/cli/load-document.js';
import { main } from '../../src/cli/main.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = ['examples/cart-abandonment.json', 'examples/content-follow-up.json', 'examples/form-forwarding.json'];
const example = (name: string) => JSON.parse(readFileSync(join(root, 'examples', `${name}.json`), 'utf8')) as Record<string, any>;

/** Runs the CLI in-process with buffered streams; `cwd` is where relative paths resolve. */
async function run(args: string[], cwd = root) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, cwd };
  const code = await main(args, io);
  return { code, stdout, stderr, lines: stdout.split('\n').filter(Boolean) };
}

/** A fresh temp dir holding the given files (objects are written as JSON). */
function dir(files: Record<string, unknown>): string {
  const at = mkdtempSync(join(tmpdir(), 'journeys-cli-'));
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(at, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return at;
}

const noStack = (text: string) => assert.not.ok(text.includes('    at '), `a stack trace leaked:\n${text}`);

const validate = suite('cli validate');

validate('cli validate: the three examples are valid', async () => {
  const r = await run(['validate', ...EXAMPLES]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.lines, EXAMPLES.map((file) => `${file}: valid`));
  assert.is(r.stderr, '');
});

validate('cli validate: a YAML version of a valid journey is valid (.yaml, .yml, and no extension)', async () => {
  const yaml = stringify(example('cart-abandonment'));
  const at = dir({ 'cart.yaml': yaml, 'cart.yml': yaml, 'cart-journey': yaml });
  const r = await run(['validate', 'cart.yaml', 'cart.yml', 'cart-journey'], at);
  assert.is(r.code, 0, r.stdout);
  assert.equal(r.lines, ['cart.yaml: valid', 'cart.yml: valid', 'cart-journey: valid']);
});

validate('cli validate: broken JSON is invalid_json naming line and column', async () => {
  // Node 20 gives no position for the first (found by scanning) and one for the second.
  const at = dir({ 'broken.json': '{\n  "id": "x",\n  "name": tru\n}\n', 'comma.json': '{\n  "id": "x",\n}' });
  const r = await run(['validate', 'broken.json', 'comma.json'], at);
  assert.is(r.code, 1);
  assert.is(r.lines.length, 2);
  assert.match(r.lines[0]!, /^broken\.json \/ invalid_json Not valid JSON at line 3, column 14: /);
  assert.match(r.lines[1]!, /^comma\.json \/ invalid_json Not valid JSON at line 3, column 1: Expected double-quoted property name/);
});

validate('cli validate: broken YAML is invalid_json naming line and column, on one line', async () => {
  const at = dir({ 'bad.yaml': 'id: x\nsteps: [1, 2\n' });
  const r = await run(['validate', 'bad.yaml'], at);
  assert.is(r.code, 1);
  assert.is(r.lines.length, 1);
  assert.match(r.lines[0]!, /^bad\.yaml \/ invalid_json Not valid YAML at line \d+, column \d+: /);
});

validate('cli validate: a missing file is unreadable_file with the reason, and other files still run', async () => {
  const r = await run(['validate', 'no-such-journey.json', EXAMPLES[0]!]);
  assert.is(r.code, 1);
  assert.equal(r.lines, ['no-such-journey.json / unreadable_file The file cannot be read: no such file.', `${EXAMPLES[0]}: valid`]);
});

validate('cli validate: an unknown step type is reported at /steps/N/type', async () => {
  const journey = example('content-follow-up');
  journey.steps[1].type = 'coin_flip';
  const r = await run(['validate', 'j.json'], dir({ 'j.json': journey }));
  assert.is(r.code, 1);
  assert.ok(r.lines.some((line) => line.startsWith('j.json /steps/1/type unknown_step_type ')), r.stdout);
});

validate('cli validate: reports every issue of a bad file, one per line', async () => {
  const journey = example('content-follow-up');
  journey.id = 'Bad Id';
  journey.steps[0].duration = '1 day';
  journey.steps[2].next = 'nowhere';
  const r = await run(['validate', 'j.json'], dir({ 'j.json': journey }));
  assert.is(r.code, 1);
  const found = r.lines.map((line) => line.split(' ').slice(0, 3).join(' '));
  for (const expected of ['j.json /id invalid_journey_id', 'j.json /steps/0/duration invalid_duration', 'j.json /steps/2/next unknown_step']) {
    assert.ok(found.includes(expected), `missing "${expected}" in:\n${r.stdout}`);
  }
});

validate('cli validate: --json prints an array of {file, path, code, message}', async () => {
  const r = await run(['validate', '--json', 'missing.json', EXAMPLES[1]!]);
  assert.is(r.code, 1);
  const issues = JSON.parse(r.stdout) as unknown[];
  assert.equal(issues, [{ file: 'missing.json', path: '', code: 'unreadable_file', message: 'The file cannot be read: no such file.' }]);
  const clean = await run(['validate', ...EXAMPLES, '--json']);
  assert.is(clean.code, 0);
  assert.equal(JSON.parse(clean.stdout), []);
});

validate('cli validate: --destinations without crm-webhook flags the sends that name it', async () => {
  const at = dir({ 'destinations.yaml': stringify([{ id: 'email', type: 'log', settings: {} }]) });
  const r = await run(['validate', join(root, EXAMPLES[0]!), '--destinations', 'destinations.yaml'], at);
  assert.is(r.code, 1);
  const pointers = r.lines.map((line) => line.split(' ').slice(1, 3).join(' '));
  assert.equal(pointers, ['/steps/2/destination unknown_destination', '/steps/3/destination unknown_destination']);
  const ok = await run(['validate', join(root, EXAMPLES[1]!), '--destinations', 'destinations.yaml'], at);
  assert.is(ok.code, 0, ok.stdout);
});

validate('cli validate: --config gives destinations and audiences; no audiences key means not checked', async () => {
  const destinations = [{ id: 'crm-webhook', type: 'webhook', settings: { url: 'http://127.0.0.1:4000/hook' } }];
  const journey = example('form-forwarding');
  journey.entry.audience = 'vip';
  const at = dir({
    'j.json': journey,
    'with-vip.json': { destinations, audiences: [{ id: 'vip', condition: { trait: 'plan', equals: 'pro' } }] },
    'other-audience.json': { destinations, audiences: [{ id: 'newsletter' }] },
    'no-audiences.json': { destinations },
  });
  assert.is((await run(['validate', 'j.json', '--config', 'with-vip.json'], at)).code, 0);
  const unknown = await run(['validate', 'j.json', '--config', 'other-audience.json'], at);
  assert.is(unknown.code, 1);
  assert.match(unknown.stdout, /^j\.json \/entry\/audience unknown_audience /);
  assert.is((await run(['validate', 'j.json', '--config', 'no-audiences.json'], at)).code, 0);
});

validate('cli validate: a malformed side file is reported against it; an unreadable one is a usage error', async () => {
  const at = dir({ 'not-a-list.json': { id: 'crm-webhook' }, 'bad-config.json': { destinations: [{ type: 'log' }] } });
  const list = await run(['validate', join(root, EXAMPLES[0]!), '--destinations', 'not-a-list.json'], at);
  assert.is(list.code, 1);
  assert.equal(list.lines[0]!.split(' ').slice(0, 3), ['not-a-list.json', '/', 'invalid_type']);
  assert.ok(!list.stdout.includes('unknown_destination'), 'no echo issues when the list is unusable');
  const config = await run(['validate', join(root, EXAMPLES[0]!), '--config', 'bad-config.json'], at);
  assert.is(config.code, 1);
  assert.match(config.stdout, /^bad-config\.json \/destinations\/0\/id missing_field /);
  const missing = await run(['validate', EXAMPLES[0]!, '--config', 'nope.json']);
  assert.is(missing.code, 2);
  assert.is(missing.stderr, 'journeys: --config nope.json: The file cannot be read: no such file.\n');
});

validate.run();

const usage = suite('cli usage');

usage('cli usage: validate without files, with both side files, or an unknown flag exits 2 with usage', async () => {
  for (const args of [['validate'], ['validate', 'a.json', '--config', 'c.json', '--destinations', 'd.json'], ['validate', 'a.json', '--strict']]) {
    const r = await run(args);
    assert.is(r.code, 2, args.join(' '));
    assert.is(r.stdout, '');
    assert.match(r.stderr, /^journeys: .+\nusage: journeys validate FILE\.\.\./);
  }
});

usage('cli usage: help lists the commands; no command and an unknown one exit 2', async () => {
  for (const args of [['help'], ['--help']]) {
    const r = await run(args);
    assert.is(r.code, 0);
    for (const command of ['validate', 'simulate', 'serve']) assert.match(r.stdout, new RegExp(`\\n  ${command} `));
  }
  const none = await run([]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /^usage: journeys <command>/);
  const unknown = await run(['frobnicate']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /^journeys: unknown command "frobnicate"\nusage: /);
  const validateHelp = await run(['validate', '--help']);
  assert.equal([validateHelp.code, validateHelp.stdout], [0, 'usage: journeys validate FILE... [--json] [--config FILE | --destinations FILE]\n']);
  const serve = await run(['serve', '--port', 'eighty']);
  assert.equal([serve.code, serve.stderr], [1, 'journeys: config: --port: must be an integer from 0 to 65535, not "eighty"\n']);
});

usage.run();

const load = suite('cli load-document');

load('cli load-document: an unknown extension tries JSON, then YAML, and reports the likelier error', () => {
  const at = dir({ a: '{"id": "x"}', b: 'id: x', c: '{"id": x', d: 'id: [x' });
  assert.equal(loadDocument('a', at), { ok: true, value: { id: 'x' } });
  assert.equal(loadDocument('b', at), { ok: true, value: { id: 'x' } });
  const c = loadDocument('c', at);
  assert.ok(!c.ok && /^Not valid JSON at line 1, column 8/.test(c.issue.message), JSON.stringify(c));
  const d = loadDocument('d', at);
  assert.ok(!d.ok && /^Not valid YAML at line/.test(d.issue.message), JSON.stringify(d));
});

load('cli load-document: a directory is unreadable_file; a byte-order mark is accepted', () => {
  const at = dir({ 'bom.json': '\uFEFF{"id": "x"}' });
  const folder = loadDocument('.', at);
  assert.equal(folder, { ok: false, issue: { path: '', code: 'unreadable_file', message: 'The file cannot be read: it is a directory.' } });
  assert.equal(loadDocument('bom.json', at), { ok: true, value: { id: 'x' } });
});

load.run();

const proc = suite('cli process');

proc('cli process: run as a user would, exit codes are 0, 1, 2 and stderr never holds a stack', () => {
  const broken = join(dir({ 'broken.json': '{"id": ' }), 'broken.json');
  // From the project root, where `--import tsx` resolves, as in `node --import tsx src/cli/dev.ts`.
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000,
  });
  const valid = cli(['validate', ...EXAMPLES]);
  assert.is(valid.status, 0, valid.stderr);
  assert.is(valid.stdout.split('\n').filter((line) => line.endsWith(': valid')).length, 3);
  const invalid = cli(['validate', broken, 'missing.json']);
  assert.is(invalid.status, 1, invalid.stderr);
  assert.ok(invalid.stdout.includes(`${broken} / invalid_json Not valid JSON at line 1, column 8`), invalid.stdout);
  assert.match(invalid.stdout, /missing\.json \/ unreadable_file /);
  const wrong = cli(['validate', '--nope']);
  assert.is(wrong.status, 2);
  assert.match(wrong.stderr, /^journeys: Unknown option '--nope'/);
  for (const result of [valid, invalid, wrong]) noStack(result.stderr);
});

proc.run();
