import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// The benches run through tsx, which does not type-check: a change to the engine's types that a
// bench still uses the old way would only show as a wrong figure. This checks them against src/.
test('bench/ type-checks against the current sources', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'bench/tsconfig.json'], { cwd: root, encoding: 'utf8' });
  assert.is(result.status, 0, `tsc -p bench/tsconfig.json:\n${result.stdout}${result.stderr}`);
});

test.run();
