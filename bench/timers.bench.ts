/**
 * The timing wheel alone (src/runtime/timing-wheel.ts): insert N timers due over the next 4 hours,
 * cancel half of them, fire the rest by advancing the wheel one simulated second at a time.
 * Reports inserts/s, cancels/s, fires/s and bytes per timer (the wheel's own arrays, and the
 * growth of heap + ArrayBuffer memory after GC). Ceiling, measured in the same run: a bare loop
 * writing the same due times into a preallocated Float64Array, and a Map.set loop.
 *   npm run bench -- timers [--quick] [--sizes 1000000,10000000]
 * Targets (bench.md): ≥ 2M inserts/s, ≤ 100 B per timer.
 */
import { parseArgs } from 'node:util';
import { TimingWheel } from '../src/runtime/timing-wheel.js';
import { gc, report, type Metric } from './report.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, sizes: { type: 'string' } } });
const sizes = values.sizes ? values.sizes.split(',').map(Number) : values.quick ? [1_000_000] : [1_000_000, 10_000_000];
const startedAt = new Date();
const results: Metric[] = [];
const log = (line: string) => process.stderr.write(`[timers] ${line}\n`);

const ORIGIN = Date.UTC(2030, 0, 1);
const SPREAD_MS = 4 * 3_600_000; // due times spread over 4 hours
const RESOLUTION_MS = 10;

/** A small deterministic PRNG (mulberry32), so every run inserts the same due times. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Heap plus ArrayBuffer backing stores (typed arrays live outside the V8 heap). */
/** GC, then give the sweeper a moment to free ArrayBuffer backing stores, then GC again. */
async function settleMemory(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
}

function memory(): { heap: number; buffers: number } {
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${Math.round(n / 1e3)}k`);

for (const n of sizes) {
  const label = fmt(n);
  const next = random(n);
  const dues = new Float64Array(n);
  for (let i = 0; i < n; i++) dues[i] = ORIGIN + 1_000 + Math.floor(next() * SPREAD_MS);
  const handles = new Int32Array(n);

  await settleMemory();
  const before = memory();
  const wheel = new TimingWheel(ORIGIN, RESOLUTION_MS);
  log(`${label}: inserting`);
  let began = performance.now();
  for (let i = 0; i < n; i++) handles[i] = wheel.insert(dues[i]!);
  const insertSeconds = (performance.now() - began) / 1000;
  const insertRate = n / insertSeconds;
  await settleMemory();
  const after = memory();
  if (wheel.size !== n) throw new Error(`wheel holds ${wheel.size} timers, expected ${n}`);
  const heapPerTimer = (after.heap - before.heap) / n;
  const bufferPerTimer = (after.buffers - before.buffers) / n;
  const wheelBytes = wheel.bytes;

  // Cancel every other timer (handles spread over the whole slab and all levels).
  log(`${label}: cancelling half`);
  began = performance.now();
  let cancelled = 0;
  for (let i = 0; i < n; i += 2) if (wheel.cancel(handles[i]!)) cancelled++;
  const cancelSeconds = (performance.now() - began) / 1000;
  if (cancelled !== Math.ceil(n / 2)) throw new Error(`cancelled ${cancelled}, expected ${Math.ceil(n / 2)}`);

  // Fire the rest: advance one simulated second at a time, as a clock-driven tick would (in bigger steps).
  log(`${label}: firing ${n - cancelled} by advancing over ${SPREAD_MS / 3_600_000} h`);
  let fired = 0;
  let late = 0;
  let lastDue = -Infinity;
  let outOfOrder = 0;
  began = performance.now();
  for (let now = ORIGIN; now <= ORIGIN + SPREAD_MS + 2_000; now += 1_000) {
    fired += wheel.advance(now, (_handle, due) => {
      if (due > now) late++; // fired before it was due: must never happen
      if (due <= lastDue - RESOLUTION_MS) outOfOrder++; // a tick's timers may fire in any order
      lastDue = due;
    });
  }
  const fireSeconds = (performance.now() - began) / 1000;
  if (fired !== n - cancelled || wheel.size !== 0 || late !== 0) throw new Error(`fired ${fired} (expected ${n - cancelled}), ${wheel.size} left, ${late} early`);
  // The ceilings, after the wheel's run (so the wheel's memory is measured from a clean baseline).
  // Ceiling 1: the same numbers written into a preallocated Float64Array.
  let floatRate = 0;
  {
    const target = new Float64Array(n);
    const began = performance.now();
    for (let i = 0; i < n; i++) target[i] = dues[i]!;
    floatRate = n / ((performance.now() - began) / 1000);
  }
  // Ceiling 2: a Map from handle to due time.
  let mapRate = 0;
  {
    const map = new Map<number, number>();
    const began = performance.now();
    for (let i = 0; i < n; i++) map.set(i, dues[i]!);
    const seconds = (performance.now() - began) / 1000;
    mapRate = n / seconds;
    map.clear();
  }

  results.push({ metric: `${label}: inserts`, value: Math.round(insertRate), unit: 'inserts/s (target ≥ 2,000,000)' });
  results.push({ metric: `${label}: ceiling, Float64Array writes`, value: Math.round(floatRate), unit: 'writes/s' });
  results.push({ metric: `${label}: ceiling, Map.set`, value: Math.round(mapRate), unit: 'sets/s' });
  results.push({ metric: `${label}: inserts, fraction of Float64Array ceiling`, value: Number((insertRate / floatRate).toFixed(4)), unit: '×' });
  results.push({ metric: `${label}: inserts, fraction of Map.set ceiling`, value: Number((insertRate / mapRate).toFixed(3)), unit: '×' });
  results.push({ metric: `${label}: wheel.bytes per timer`, value: Number((wheelBytes / n).toFixed(1)), unit: 'B (target ≤ 100)' });
  results.push({ metric: `${label}: heap + ArrayBuffer growth per timer (after GC)`, value: Number((heapPerTimer + bufferPerTimer).toFixed(1)), unit: 'B (target ≤ 100)' });
  results.push({ metric: `${label}: of which V8 heap`, value: Number(heapPerTimer.toFixed(1)) + 0, unit: 'B' });
  results.push({ metric: `${label}: cancels (every other timer)`, value: Math.round(cancelled / cancelSeconds), unit: 'cancels/s' });
  results.push({ metric: `${label}: fires (advancing 1 s at a time)`, value: Math.round(fired / fireSeconds), unit: 'fires/s' });
  results.push({ metric: `${label}: fired out of due order (beyond one tick)`, value: outOfOrder, unit: 'timers' });

  log(`${label}: inserts ${Math.round(insertRate).toLocaleString()}/s, cancels ${Math.round(cancelled / cancelSeconds).toLocaleString()}/s, fires ${Math.round(fired / fireSeconds).toLocaleString()}/s, ${(wheelBytes / n).toFixed(1)} B/timer`);
}

report('timers', startedAt, results);
