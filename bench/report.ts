/** What every bench prints and writes: the machine, a table, bench/results/NAME.json. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

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

export function report(bench: string, startedAt: Date, results: Metric[]): void {
  const info = machine();
  process.stdout.write(`\n${bench} — ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}\n`);
  const width = Math.max(...results.map((r) => r.metric.length));
  for (const r of results) process.stdout.write(`  ${r.metric.padEnd(width)}  ${formatNumber(r.value).padStart(12)} ${r.unit}\n`);
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${bench}.json`, dir), JSON.stringify({ bench, machine: info, startedAt: startedAt.toISOString(), results }, null, 2) + '\n');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
