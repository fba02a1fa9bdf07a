/**
 * Writes bench/chart.svg from bench/results/forward.json: latency percentiles (p50, p90, p99, max;
 * log scale) against the offered load, with the targets of bench.md as dashed lines and the rate
 * actually received under each load. Plain SVG, no dependency.
 *   npx tsx bench/chart.ts [results.json] [out.svg]
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Point {
  offered: number;
  achieved: number;
  keptUp: boolean;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}
interface Results {
  startedAt: string;
  commit?: string;
  quick?: boolean;
  machine: { cores: number; memoryGiB: number; node: string };
  series?: Point[];
  settings?: { stepSeconds?: number };
}

const input = process.argv[2] ?? new URL('./results/forward.json', import.meta.url).pathname;
const output = process.argv[3] ?? new URL('./chart.svg', import.meta.url).pathname;
const results = JSON.parse(readFileSync(input, 'utf8')) as Results;
const series = results.series ?? [];
if (series.length === 0) {
  process.stderr.write(`${input} has no series: run \`npm run bench -- forward\` first\n`);
  process.exit(1);
}

const W = 800;
const H = 460;
const M = { left: 70, right: 180, top: 76, bottom: 78 };
const plotW = W - M.left - M.right;
const plotH = H - M.top - M.bottom;
const lines = [
  { key: 'p50', color: '#1b9e77' },
  { key: 'p90', color: '#7570b3' },
  { key: 'p99', color: '#d95f02' },
  { key: 'max', color: '#999999' },
] as const;
const targets = [
  { label: 'p50 target 2 ms (at 10k/s)', value: 2, color: '#1b9e77' },
  { label: 'p99 target 25 ms (at 10k/s)', value: 25, color: '#d95f02' },
];

const values = series.flatMap((p) => lines.map((l) => p.latencyMs[l.key])).filter((v) => v > 0);
const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...values, 1)))));
const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 30))));
const y = (ms: number) => M.top + plotH - ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
const x = (index: number) => M.left + (series.length === 1 ? plotW / 2 : (index / (series.length - 1)) * plotW);
const fmtMs = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);
const fmtRate = (rate: number) => (rate >= 1000 ? `${Number((rate / 1000).toFixed(1))}k` : String(rate));
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const parts: string[] = [];
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
const date = results.startedAt.slice(0, 10);
parts.push(`<text x="${M.left}" y="22" font-size="15" font-weight="600">forward: latency (scheduled send → webhook received) against offered load</text>`);
parts.push(`<text x="${M.left}" y="40" fill="#555">${esc(`${date}, commit ${results.commit ?? '?'}, ${results.quick ? '--quick' : 'full'} run (${results.settings?.stepSeconds ?? '?'} s per rate); ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}`)}</text>`);
parts.push(`<text x="${M.left}" y="56" fill="#555">embedded engine, durable commits, in-process ingest; open loop, latency from the scheduled send time</text>`);
// y grid (decades)
for (let decade = lo; decade <= hi; decade *= 10) {
  parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(decade)}" y2="${y(decade)}" stroke="#e5e5e5"/>`);
  parts.push(`<text x="${M.left - 8}" y="${y(decade) + 4}" text-anchor="end" fill="#555">${fmtMs(Number(decade.toPrecision(1)))}</text>`);
}
parts.push(`<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">latency (log scale)</text>`);
// x axis
parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#999"/>`);
series.forEach((p, i) => {
  parts.push(`<line x1="${x(i)}" x2="${x(i)}" y1="${M.top + plotH}" y2="${M.top + plotH + 5}" stroke="#999"/>`);
  parts.push(`<text x="${x(i)}" y="${M.top + plotH + 18}" text-anchor="middle">${fmtRate(p.offered)}/s</text>`);
  parts.push(`<text x="${x(i)}" y="${M.top + plotH + 33}" text-anchor="middle" fill="${p.keptUp ? '#555' : '#c00'}" font-size="11">${p.keptUp ? '' : '✗ '}got ${fmtRate(p.achieved)}/s</text>`);
});
parts.push(`<text x="${M.left + plotW / 2}" y="${H - 14}" text-anchor="middle" fill="#555">offered load (events/s); below: rate received (✗ = did not keep up)</text>`);
// targets
for (const t of targets) {
  if (t.value < lo || t.value > hi) continue;
  parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(t.value)}" y2="${y(t.value)}" stroke="${t.color}" stroke-dasharray="5 4" opacity="0.7"/>`);
  parts.push(`<text x="${M.left + plotW + 12}" y="${y(t.value) + 4}" fill="${t.color}" font-size="11">${esc(t.label)}</text>`);
}
// series
for (const line of lines) {
  const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p.latencyMs[line.key]).toFixed(1)}`);
  parts.push(`<polyline fill="none" stroke="${line.color}" stroke-width="2" points="${points.join(' ')}"/>`);
  series.forEach((p, i) => parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p.latencyMs[line.key]).toFixed(1)}" r="3" fill="${line.color}"><title>${line.key} at ${p.offered}/s: ${p.latencyMs[line.key]} ms</title></circle>`));
}
// legend
lines.forEach((line, i) => {
  const ly = M.top + 10 + i * 18;
  parts.push(`<line x1="${M.left + plotW + 14}" x2="${M.left + plotW + 36}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="2"/>`);
  parts.push(`<text x="${M.left + plotW + 42}" y="${ly + 4}">${line.key}</text>`);
});
parts.push('</svg>');
writeFileSync(output, parts.join('\n') + '\n');
process.stdout.write(`wrote ${output}\n`);
