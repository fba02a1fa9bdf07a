import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { removeDir, tempDir } from '../helpers/engine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const test = suite('quick start');

test('quick start: `serve` with the project config publishes the examples, prints a curl line, and that line yields a send in the log', async () => {
  const dataDir = tempDir('journeys-quick-start-');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'serve', '--config', 'journeys.config.json', '--data', dataDir, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const until = Date.now() + 30_000;
  while (!/\/v1\/track\n/.test(output) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(output, 'credentials generated');
  for (const id of ['cart-abandonment', 'content-follow-up', 'form-forwarding']) assert.match(output, `"journey":"${id}"`);
  // The printed curl line: curl -u KEY: -H '...' -d 'BODY' URL
  const key = /curl -u ([^:\s]+):/.exec(output)![1]!;
  const body = /-d '([^']+)'/.exec(output)![1]!;
  const url = /\s(http:\/\/127\.0\.0\.1:\d+\/v1\/track)\n/.exec(output)![1]!;
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' }, body });
  assert.is(response.status, 200);
  while (!/"msg":"send"/.test(output) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(output, /"journey":"form-forwarding".*"msg":"send"/);
  child.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.match(output, '"msg":"stopped"');
  removeDir(dataDir);
});

test.run();
