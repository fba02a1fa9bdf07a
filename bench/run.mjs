// The bench runner: `npm run bench` lists the benches; `npm run bench -- NAME [--quick]` runs one
// in its own Node process (with --expose-gc, through tsx) and leaves bench/results/NAME.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', '')).sort();
const [name, ...rest] = process.argv.slice(2);

if (!name || name === '--help') {
  process.stdout.write(`usage: npm run bench -- NAME [--quick]\n\nbenches: ${benches.join(', ')}\n`);
  process.exit(name ? 0 : 0);
}
const names = name === 'all' ? benches : [name];
let failed = 0;
for (const bench of names) {
  if (!benches.includes(bench)) {
    process.stderr.write(`no bench "${bench}"; benches: ${benches.join(', ')}\n`);
    process.exit(2);
  }
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', join(here, `${bench}.bench.ts`), ...rest], { stdio: 'inherit', cwd: join(here, '..') });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
