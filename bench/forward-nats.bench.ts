/**
 * forward-nats — the forward workload through `journeys.ingest` on JetStream with 2 worker
 * processes (bench.md: ≥ 10k events/s; p99 ≤ 50 ms at 5k/s). Cluster mode is not built yet, so
 * there is nothing to measure: this says so, exits 0, and writes a results file with no figures
 * and a note, so that `npm run bench -- all` still has a line for it.
 *
 *   npm run bench -- forward-nats
 */
import { report } from './report.js';

const startedAt = new Date();
const note = 'forward-nats: cluster mode is not built yet; nothing to measure';
report('forward-nats', startedAt, [], { note });
