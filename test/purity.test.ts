import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('purity');
const src = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** What the deterministic core may not touch: I/O, the clock, randomness, the environment. */
const FORBIDDEN: [RegExp, string][] = [
  [/from 'node:(fs|net|http|https|dgram|child_process|worker_threads|os|dns|tls)'/, 'an I/O module'],
  [/from '(lmdb|fastify|undici|pino|@nats-io\/[a-z-]+)'/, 'an I/O library'],
  [/Date\.now\(/, 'the clock'],
  [/new Date\(\)/, 'the clock'],
  [/performance\.now\(/, 'the clock'],
  [/Math\.random\(/, 'randomness'],
  [/process\./, 'the process'],
  [/\bfetch\(/, 'the network'],
  [/setTimeout\(|setInterval\(|setImmediate\(/, 'timers'],
];

test('purity: src/machines, src/mapping, src/core and src/profiles do no I/O and read no clock', () => {
  const core = ['machines', 'mapping', 'core', 'profiles'].flatMap((folder) => files(join(src, folder)));
  assert.ok(core.length > 20);
  const found: string[] = [];
  for (const file of core) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // code, not comments
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(text)) found.push(`${file.slice(src.length)}: ${what} (${pattern})`);
  }
  assert.equal(found, []);
});

test.run();
