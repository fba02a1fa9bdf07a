/** What every bench prints and writes: the machine, a table, bench/results/NAME.json. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** The machine's load averages (1, 5, 15 min) when the bench started (this module is imported at its start). */
export const loadAtStart = loadavg();

export interface Metric {
  metric: string;
  value: number;
  unit: string;
}

export function machine() {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

/** Anonymous and file-backed resident memory of this process (Linux), in bytes. */
export function rss(): { anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
    return { anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { anon: process.memoryUsage().rss, file: 0 };
  }
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

/** The short hash of the checked-out commit (read-only), with `+dirty` when src/ differs from it; undefined outside a git work tree. */
export function commit(): string | undefined {
  try {
    const cwd = new URL('..', import.meta.url);
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['--no-optional-locks', 'diff', '--name-only', 'HEAD', '--', 'src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${hash}+dirty` : hash;
  } catch {
    return undefined;
  }
}

/** Whether this run was asked for with --quick (smaller sizes). */
export function isQuick(): boolean {
  return process.argv.includes('--quick');
}

/**
 * Prints the machine and the table, and writes bench/results/NAME.json:
 * `{ bench, machine, startedAt, results: [{ metric, value, unit }] }`, plus `commit`, `quick`, `load` and
 * whatever `extra` holds (a `note`, a series for a chart, …).
 */
export function report(bench: string, startedAt: Date, results: Metric[], extra: Record<string, unknown> = {}): void {
  const info = machine();
  process.stdout.write(`\n${bench} — ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}\n`);
  const width = Math.max(0, ...results.map((r) => r.metric.length));
  for (const r of results) process.stdout.write(`  ${r.metric.padEnd(width)}  ${formatNumber(r.value).padStart(12)} ${r.unit}\n`);
  if (typeof extra.note === 'string') process.stdout.write(`  ${extra.note}\n`);
  // Another busy process on the machine skews every figure: say so next to them.
  if (results.length > 0 && loadAtStart[0]! > info.cores * 0.75) process.stdout.write(`  note: the machine was busy when the bench started (1-min load average ${loadAtStart[0]!.toFixed(2)} on ${info.cores} cores); figures may be low\n`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const load = { atStart: loadAtStart.map((l) => Number(l.toFixed(2))), atEnd: loadavg().map((l) => Number(l.toFixed(2))) };
  const document = { bench, machine: info, startedAt: startedAt.toISOString(), results, commit: commit(), quick: isQuick(), load, ...extra };
  writeFileSync(new URL(`${bench}.json`, dir), JSON.stringify(document, null, 2) + '\n');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
