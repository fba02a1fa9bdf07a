// The bench runner. `npm run bench` lists the benches; `npm run bench -- NAME [--quick] [options]`
// runs one, `npm run bench -- all [--quick]` runs every one in turn. Each runs in its own Node
// process (with --expose-gc, through tsx), prints the machine and a table, and leaves
// bench/results/NAME.json. Exit status: 0 when every bench exited 0.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', '')).sort();
const [name, ...rest] = process.argv.slice(2);

/** One line per bench for the list (bench.md's table); a bench not named here shows its header comment's first line. */
const DESCRIPTIONS = {
  abandonment: 'cart abandonment, N sessions (1M; --quick 20k), half purchased: entries/s, once-only nudges, timer lateness',
  capacity: 'memory per waiting instance at 1M (and 10M) instances: RssAnon, RssFile, heap',
  forward: 'form forwarding to a loopback webhook, open-loop at fixed rates: sustained events/s, p50/p99 latency',
  'forward-core': 'the forwarding journey through the engine alone (in-process destination, no HTTP): events/s, CPU per event',
  'forward-nats': 'forward through journeys.ingest on JetStream with 2 worker processes: sustained events/s, p99',
  peers: 'the cart-abandonment workload: this engine vs BullMQ on Redis vs live XState actors',
  quick: 'the quick gate: N cart sessions enter; entries/s and memory per waiting instance',
  recovery: 'kill -9 with N instances and P pending sends, restart: time to ready, nothing lost',
  timers: 'the timing wheel alone: inserts, cancels, fires per second, bytes per timer',
};

function summary(bench) {
  if (DESCRIPTIONS[bench]) return DESCRIPTIONS[bench];
  const text = readFileSync(join(here, `${bench}.bench.ts`), 'utf8');
  const line = /\/\*\*\s*\n?\s*\*?\s*(.+)/.exec(text)?.[1] ?? '';
  return line.length > 100 ? `${line.slice(0, 97)}…` : line;
}

if (!name || name === '--help' || name === '-h') {
  const width = Math.max(...benches.map((b) => b.length));
  process.stdout.write(
    'usage: npm run bench -- NAME [--quick] [bench options]\n' +
      '       npm run bench -- all [--quick]\n\n' +
      '--quick runs each bench with smaller sizes (under a minute each); results go to bench/results/NAME.json.\n\n' +
      `benches:\n${benches.map((b) => `  ${b.padEnd(width)}  ${summary(b)}`).join('\n')}\n`,
  );
  process.exit(0);
}
const names = name === 'all' ? benches : [name];
for (const bench of names) {
  if (!benches.includes(bench)) {
    process.stderr.write(`no bench "${bench}"; benches: ${benches.join(', ')}\n`);
    process.exit(2);
  }
}
const failed = [];
for (const bench of names) {
  if (names.length > 1) process.stdout.write(`\n=== ${bench} ===\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', join(here, `${bench}.bench.ts`), ...rest], { stdio: 'inherit', cwd: join(here, '..') });
  if (result.status !== 0) failed.push(`${bench} (${result.status ?? result.signal})`);
}
if (names.length > 1) process.stdout.write(`\n${names.length - failed.length} of ${names.length} benches exited 0${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`);
process.exit(failed.length ? 1 : 0);
