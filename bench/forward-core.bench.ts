/**
 * The forwarding journey through the engine alone: no HTTP, so the engine's own cost per event.
 *   npm run bench -- forward-core [--quick] [--events N] [--in-flight C]
 *
 * `form-forwarding` (entry → one send), embedded, durable commits (`committed`), events through
 * `engine.ingest` closed-loop with C (default 2000) in flight; the destination is an in-process
 * driver that answers at once, so each send still goes through the outbox, the dispatcher and
 * the commit that removes it. Reports events/s (ingest to delivery of the last send), the
 * process's CPU per event (every thread: the main one, lmdb-js's commits, GC helpers) and the
 * main thread's busy time per event (event-loop utilization). A diagnostic beside `forward`:
 * what is left of a 2-core machine's budget for the HTTP hop. bench.md sets no target for it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DriverFactory } from '../src/destinations/types.js';
import { createEngine } from '../src/runtime/engine.js';
import { sleep } from './lib/clock.js';
import { gc, report } from './report.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, events: { type: 'string' }, 'in-flight': { type: 'string' } } });
const events = Number(values.events ?? (values.quick ? 30_000 : 200_000));
const inFlight = Number(values['in-flight'] ?? 2_000);
const startedAt = new Date();
const dataDir = mkdtempSync(join(tmpdir(), 'journeys-bench-forward-core-'));

let delivered = 0;
const instant: DriverFactory = () => ({ deliver: async () => (delivered++, { ok: true, status: 200 }) });
const engine = await createEngine({ dataDir, durability: 'committed', destinations: [{ id: 'crm-webhook', type: 'instant', settings: {} }], drivers: { instant }, maxPendingEvents: inFlight * 2 });
await engine.publish(JSON.parse(readFileSync(new URL('../examples/form-forwarding.json', import.meta.url), 'utf8')));
gc();

const began = performance.now();
const cpuBefore = process.cpuUsage();
const eluBefore = performance.eventLoopUtilization();
let next = 0;
async function lane(): Promise<void> {
  while (next < events) {
    const i = next++;
    await engine.ingest({ type: 'track', userId: `user-${i % 50_000}`, event: 'form_submitted', messageId: `m-${i}`, properties: { submission_id: `sub-${i}`, email: `u${i}@example.com`, form_id: 'contact' } });
  }
}
await Promise.all(Array.from({ length: inFlight }, lane));
const accepted = performance.now();
while (delivered < events) await sleep(2);
const seconds = (performance.now() - began) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const elu = performance.eventLoopUtilization(eluBefore);
await engine.close();
rmSync(dataDir, { recursive: true, force: true });

process.stdout.write(`forward-core: ${events} events, ${inFlight} in flight: ${Math.round(events / seconds)} events/s\n`);
report('forward-core', startedAt, [
  { metric: 'events', value: events, unit: 'events' },
  { metric: 'events per second (ingest → last send delivered)', value: Math.round(events / seconds), unit: 'events/s' },
  { metric: 'events per second accepted (committed)', value: Math.round(events / ((accepted - began) / 1000)), unit: 'events/s' },
  { metric: 'process CPU per event (all threads)', value: Number(((cpu.user + cpu.system) / events).toFixed(1)), unit: 'µs' },
  { metric: 'main thread busy per event', value: Number(((elu.active * 1000) / events).toFixed(1)), unit: 'µs' },
  { metric: 'main thread utilization', value: Number(elu.utilization.toFixed(2)), unit: 'fraction' },
], { note: 'in-process destination that answers at once (no HTTP); closed loop; durable commits (committed); no target in bench.md' });
