/**
 * Peers: the whole cart-abandonment workload side by side, in one run — N checkout sessions,
 * purchases right after entry for half of them, a hold (5 s by default: shortened alike for
 * every peer), and one nudge per abandoned session POSTed to a real webhook receiver (a
 * node:http server in a child process on loopback). Each peer runs in its own process:
 *   engine-fsync      this engine, embedded, durability "fsync" (acknowledged once on disk:
 *                     stronger than Redis AOF everysec), real clock
 *   engine-committed  the same with durability "committed" (survives a process crash)
 *   bullmq            BullMQ on Redis 127.0.0.1:6379 with AOF everysec: addBulk of delayed jobs
 *                     (jobId = session), remove on purchase, a Worker with concurrency 100
 *   xstate            one live XState actor per session with its own `after` delay (memory only)
 * For each: wall time (first entry → last nudge received), entries/s (first → last entry
 * accepted), nudges received (duplicates, nudges to purchasers), and memory per waiting instance
 * (a separate phase in the same process: N sessions all waiting with a 1 h hold, after GC).
 * Ceilings in the same run: a bare HTTP POST loop to the same receiver, and a bare XState
 * `transition` loop on the XState peer's machine.
 *   npm run bench -- peers [--quick] [--sessions N] [--memory-sessions N] [--hold-ms 5000] [--peers engine-fsync,bullmq,xstate]
 * Targets (bench.md): engine ≥ 3× BullMQ's throughput at stronger durability; ≥ 5× less memory
 * per waiting instance than live actors.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { initialTransition, transition } from 'xstate';
import { entryEvent, nudgeBody, type PeerResult } from './peers/common.js';
import { cartMachine } from './peers/machine.js';
import { report, type Metric } from './report.js';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, sessions: { type: 'string' }, 'memory-sessions': { type: 'string' }, 'hold-ms': { type: 'string' }, peers: { type: 'string' }, redis: { type: 'string' } },
});
const sessions = Number(values.sessions ?? (values.quick ? 10_000 : 100_000));
const memorySessions = Number(values['memory-sessions'] ?? sessions);
const holdMs = Number(values['hold-ms'] ?? 5_000);
if (holdMs % 1000 !== 0 || holdMs < 1000) throw new Error('--hold-ms must be whole seconds (the journey grammar), at least 1000');
const [redisHost = '127.0.0.1', redisPort = '6379'] = (values.redis ?? '127.0.0.1:6379').split(':');
const wanted = (values.peers ?? 'engine-fsync,engine-committed,bullmq,xstate').split(',');
const startedAt = new Date();
const root = fileURLToPath(new URL('../', import.meta.url));
const log = (line: string) => process.stderr.write(`[peers] ${line}\n`);
const script = (name: string) => fileURLToPath(new URL(`./peers/${name}.ts`, import.meta.url));

// The receiver, in its own process.
const receiverProc = spawn(process.execPath, ['--import', 'tsx', script('receiver')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const port: number = await new Promise((resolve, reject) => {
  createInterface({ input: receiverProc.stdout! }).once('line', (line) => resolve(JSON.parse(line).port));
  receiverProc.once('exit', (code) => reject(new Error(`the receiver exited (${code})`)));
});
const receiver = `http://127.0.0.1:${port}`;
log(`receiver on ${receiver}; ${sessions.toLocaleString()} sessions (memory phase ${memorySessions.toLocaleString()}), hold ${holdMs} ms for every peer`);

// Ceiling 1: a bare HTTP POST loop of the same nudges to the same receiver, 100 in flight.
let postRate = 0;
{
  const n = Math.floor(sessions / 2);
  const pool = new Pool(receiver, { connections: 100 });
  let next = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: 100 }, async () => {
    while (next < n) {
      const i = 2 * next++ + 1;
      const response = await pool.request({ path: '/hook/ceiling', method: 'POST', headers: { 'content-type': 'application/json' }, body: nudgeBody(entryEvent(i), Date.now()) });
      await response.body.dump();
    }
  }));
  postRate = n / ((performance.now() - began) / 1000);
  await pool.close();
  log(`ceiling: bare HTTP POST loop ${Math.round(postRate).toLocaleString()} posts/s`);
}

// Ceiling 2: a bare XState transition loop on the same machine (entry, and the purchase for half).
let transitionRate = 0;
{
  const machine = cartMachine(holdMs, () => {});
  let transitions = 0;
  const began = performance.now();
  for (let i = 0; i < sessions; i++) {
    const [snapshot] = initialTransition(machine, { entry: entryEvent(i) });
    transitions++;
    if (i % 2 === 0) {
      transition(machine, snapshot, { type: 'purchase_completed' });
      transitions++;
    }
  }
  transitionRate = transitions / ((performance.now() - began) / 1000);
  log(`ceiling: bare XState transition loop ${Math.round(transitionRate).toLocaleString()} transitions/s`);
}

async function redisUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: redisHost, port: Number(redisPort) });
    const done = (up: boolean) => { socket.destroy(); resolve(up); };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function runPeer(name: string, file: string, extra: string[] = []): Promise<PeerResult | undefined> {
  log(`— ${name}`);
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', script(file),
    '--sessions', String(sessions), '--memory-sessions', String(memorySessions), '--hold-ms', String(holdMs), '--receiver', receiver, ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let result: PeerResult | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const message = JSON.parse(line);
      if (message.result) result = message.result;
    } catch {
      process.stderr.write(`${line}\n`);
    }
  });
  const code: number | null = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0 || !result) log(`${name} failed (exit ${code})`);
  return result;
}

const results = new Map<string, PeerResult>();
const skipped: string[] = [];
for (const name of wanted) {
  let result: PeerResult | undefined;
  if (name === 'engine-fsync') result = await runPeer(name, 'engine-peer', ['--durability', 'fsync']);
  else if (name === 'engine-committed') result = await runPeer(name, 'engine-peer', ['--durability', 'committed']);
  else if (name === 'bullmq') {
    if (await redisUp()) result = await runPeer(name, 'bullmq-peer', ['--redis', `${redisHost}:${redisPort}`]);
    else {
      const note = `BullMQ skipped: no Redis on ${redisHost}:${redisPort}`;
      skipped.push(note);
      log(note);
    }
  } else if (name === 'xstate') result = await runPeer(name, 'xstate-peer');
  else throw new Error(`no peer "${name}"`);
  if (result) results.set(name, result);
}
receiverProc.kill('SIGTERM');

// The table.
const columns = [...results.keys()];
const entriesPerSecond = (r: PeerResult) => r.sessions / r.entrySeconds;
const rows: [string, (r: PeerResult) => string][] = [
  ['durability', (r) => r.durability],
  ['sessions', (r) => r.sessions.toLocaleString()],
  ['wall time (s), entry → last nudge', (r) => r.wallSeconds.toFixed(2)],
  ['entries/s (entry phase)', (r) => Math.round(entriesPerSecond(r)).toLocaleString()],
  ['sessions/s over the wall time', (r) => Math.round(r.sessions / r.wallSeconds).toLocaleString()],
  ['nudges received / expected', (r) => `${r.nudges.unique.toLocaleString()} / ${r.nudges.expected.toLocaleString()}`],
  ['duplicate nudges', (r) => String(r.nudges.duplicates)],
  ['nudges to purchasers', (r) => String(r.nudges.purchasedNudged)],
  ['memory per waiting instance where it lives (B)', (r) => (r.memory.serverRssPerInstance ?? r.memory.anonPerInstance).toLocaleString()],
  ['  RssAnon of the peer process (B)', (r) => r.memory.anonPerInstance.toLocaleString()],
  ['  heap of the peer process (B)', (r) => r.memory.heapPerInstance.toLocaleString()],
  ['  Redis used_memory per job (B)', (r) => (r.memory.serverPerInstance === undefined ? '—' : r.memory.serverPerInstance.toLocaleString())],
  ['  Redis RSS per job (B)', (r) => (r.memory.serverRssPerInstance === undefined ? '—' : r.memory.serverRssPerInstance.toLocaleString())],
];
const widths = [Math.max(...rows.map(([label]) => label.length)), ...columns.map((c) => Math.max(c.length, ...rows.map(([, f]) => f(results.get(c)!).length)))];
const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join('  ');
process.stdout.write(`\npeers — the cart-abandonment workload, ${sessions.toLocaleString()} sessions, hold ${holdMs / 1000} s for every peer\n`);
process.stdout.write(line(['', ...columns]) + '\n');
for (const [label, f] of rows) process.stdout.write(line([label, ...columns.map((c) => f(results.get(c)!))]) + '\n');
for (const note of skipped) process.stdout.write(`${note}\n`);

const metrics: Metric[] = [
  { metric: 'sessions', value: sessions, unit: 'sessions' },
  { metric: 'hold (every peer)', value: holdMs, unit: 'ms' },
  { metric: 'ceiling: bare HTTP POST loop to the receiver', value: Math.round(postRate), unit: 'posts/s' },
  { metric: 'ceiling: bare XState transition loop', value: Math.round(transitionRate), unit: 'transitions/s' },
];
for (const [name, r] of results) {
  metrics.push({ metric: `${name}: wall time`, value: Number(r.wallSeconds.toFixed(2)), unit: 's' });
  metrics.push({ metric: `${name}: entries/s`, value: Math.round(entriesPerSecond(r)), unit: 'entries/s' });
  metrics.push({ metric: `${name}: nudges received`, value: r.nudges.unique, unit: `of ${r.nudges.expected}` });
  metrics.push({ metric: `${name}: duplicate nudges`, value: r.nudges.duplicates, unit: 'nudges' });
  metrics.push({ metric: `${name}: nudges to purchasers`, value: r.nudges.purchasedNudged, unit: 'nudges' });
  metrics.push({ metric: `${name}: RssAnon per waiting instance`, value: r.memory.anonPerInstance, unit: 'B' });
  metrics.push({ metric: `${name}: heap per waiting instance`, value: r.memory.heapPerInstance, unit: 'B' });
  if (r.memory.serverPerInstance !== undefined) metrics.push({ metric: `${name}: Redis used_memory per job`, value: r.memory.serverPerInstance, unit: 'B' });
  if (r.memory.serverRssPerInstance !== undefined) metrics.push({ metric: `${name}: Redis RSS per job`, value: r.memory.serverRssPerInstance, unit: 'B' });
  for (const note of r.notes) process.stdout.write(`  ${name}: ${note}\n`);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
const ratios: string[] = [];
for (const engineName of ['engine-fsync', 'engine-committed']) {
  const engine = results.get(engineName);
  if (!engine) continue;
  const bull = results.get('bullmq');
  const actors = results.get('xstate');
  if (bull) {
    const throughput = ratio(entriesPerSecond(engine), entriesPerSecond(bull));
    const wall = ratio(bull.wallSeconds, engine.wallSeconds);
    const target = engineName === 'engine-fsync' ? ' (target ≥ 3× at stronger durability)' : ' (weaker durability than fsync: for information)';
    metrics.push({ metric: `${engineName} vs BullMQ: entries/s ratio`, value: throughput, unit: `×${target}` });
    metrics.push({ metric: `${engineName} vs BullMQ: wall time ratio (BullMQ / engine)`, value: wall, unit: '×' });
    ratios.push(`${engineName} vs BullMQ: ${throughput}× the entries/s${target}; BullMQ's wall time is ${wall}× the engine's`);
  }
  if (actors) {
    const anon = ratio(actors.memory.anonPerInstance, engine.memory.anonPerInstance);
    const heap = ratio(actors.memory.heapPerInstance, engine.memory.heapPerInstance);
    metrics.push({ metric: `live actors vs ${engineName}: RssAnon per waiting instance ratio`, value: anon, unit: '× (target ≥ 5)' });
    metrics.push({ metric: `live actors vs ${engineName}: heap per waiting instance ratio`, value: heap, unit: '×' });
    metrics.push({ metric: `${engineName} vs live actors: wall time ratio (actors / engine)`, value: ratio(actors.wallSeconds, engine.wallSeconds), unit: '×' });
    ratios.push(`live actors vs ${engineName}: ${anon}× the RssAnon and ${heap}× the heap per waiting instance (target ≥ 5× less for the engine)`);
  }
  const events = engine.sessions * 1.5;
  metrics.push({ metric: `${engineName}: events/s (entries + purchases), fraction of the XState transition ceiling`, value: Number((events / engine.entrySeconds / transitionRate).toFixed(3)), unit: '×' });
}
process.stdout.write('\n' + ratios.map((r) => `  ${r}`).join('\n') + '\n');
const notes = [...skipped, `hold shortened to ${holdMs / 1000} s for every peer; memory per waiting instance measured in a separate phase of each peer's process (${memorySessions.toLocaleString()} sessions all waiting, 1 h hold, after GC)`];
report('peers', startedAt, metrics, { note: notes.join('; '), peers: Object.fromEntries(results), skipped });
