/**
 * The loopback webhook receiver, in a process of its own so that it does not share the engine's
 * event loop: a bare `node:http` server on 127.0.0.1 that answers every request `200 ok` and
 * records, per run label (the body's `run`), how many requests arrived, how many repeated an
 * Idempotency-Key already seen, and the latency from the body's `sent_at` (and `called_at`, when
 * present) to the moment the request body was fully received — all on the monotonic clock shared
 * by the processes of the machine (see clock.ts). Driven over IPC by receiver.ts.
 */
import { createServer } from 'node:http';
import { hr } from './clock.js';
import { LatencyHistogram } from './histogram.js';

interface RunRecord {
  count: number;
  duplicates: number;
  unparsable: number;
  keys: Set<string>;
  fromScheduled: LatencyHistogram;
  fromCalled: LatencyHistogram;
  firstAt: number;
  lastAt: number;
}

const runs = new Map<string, RunRecord>();

function runOf(label: string): RunRecord {
  let run = runs.get(label);
  if (!run) {
    run = { count: 0, duplicates: 0, unparsable: 0, keys: new Set(), fromScheduled: new LatencyHistogram(), fromCalled: new LatencyHistogram(), firstAt: 0, lastAt: 0 };
    runs.set(label, run);
  }
  return run;
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const receivedAt = hr();
    let body: { run?: unknown; sent_at?: unknown; called_at?: unknown } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      // counted below, under the run "?"
    }
    const run = runOf(typeof body.run === 'string' ? body.run : '?');
    if (typeof body.sent_at !== 'number') run.unparsable++;
    run.count++;
    if (run.firstAt === 0) run.firstAt = receivedAt;
    run.lastAt = receivedAt;
    const key = request.headers['idempotency-key'];
    if (typeof key === 'string') {
      if (run.keys.has(key)) run.duplicates++;
      else run.keys.add(key);
    }
    if (typeof body.sent_at === 'number') run.fromScheduled.recordMs(receivedAt - body.sent_at);
    if (typeof body.called_at === 'number') run.fromCalled.recordMs(receivedAt - body.called_at);
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    response.end('ok');
  });
});
server.keepAliveTimeout = 60_000;

type Request = { id: number; kind: 'stats'; run: string } | { id: number; kind: 'forget'; run: string } | { id: number; kind: 'close' };

process.on('message', (message: Request) => {
  const reply = (payload: object) => process.send?.({ id: message.id, ...payload });
  if (message.kind === 'stats') {
    const run = runs.get(message.run);
    reply({
      count: run?.count ?? 0,
      duplicates: run?.duplicates ?? 0,
      unparsable: run?.unparsable ?? 0,
      firstAt: run?.firstAt ?? 0,
      lastAt: run?.lastAt ?? 0,
      fromScheduled: run ? run.fromScheduled.summary() : new LatencyHistogram().summary(),
      fromCalled: run ? run.fromCalled.summary() : new LatencyHistogram().summary(),
      negatives: run ? run.fromScheduled.negatives + run.fromCalled.negatives : 0,
    });
  } else if (message.kind === 'forget') {
    runs.delete(message.run);
    reply({});
  } else if (message.kind === 'close') {
    server.close();
    server.closeAllConnections();
    reply({});
    process.disconnect?.();
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
