/**
 * Recovery after kill -9: a child process running the engine (bench/recovery/engine-child.ts)
 * builds N waiting cart-abandonment instances and P pending sends (a webhook to a loopback port
 * where nothing listens: every attempt fails retryably, so the sends stay in the outbox), is
 * killed with SIGKILL while its dispatcher is still retrying, and is started again on the same
 * data directory. Measures the time to ready (process start → engine created → first event
 * committed) and checks that nothing was lost: the active instances (count and a checksum of
 * their ids through engine.listInstances), the timers (engine.timersPending()) and the sends
 * (engine.outboxDepth()).
 *   npm run bench -- recovery [--quick] [--sessions N] [--sends P]
 * Targets (bench.md): ready ≤ 10 s with 1M instances and 100k pending sends; zero lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { report, type Metric } from './report.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, sessions: { type: 'string' }, sends: { type: 'string' } } });
const sessions = Number(values.sessions ?? (values.quick ? 50_000 : 1_000_000));
const sends = Number(values.sends ?? (values.quick ? 10_000 : 100_000));
const startedAt = new Date();
const results: Metric[] = [];
const root = fileURLToPath(new URL('../', import.meta.url));
const script = fileURLToPath(new URL('./recovery/engine-child.ts', import.meta.url));
const log = (line: string) => process.stderr.write(`[recovery] ${line}\n`);

/** A loopback port where nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

class Child {
  private readonly waiters: { test: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  readonly spawnedAt = performance.now();
  readonly proc: ChildProcess;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', script, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.progress !== undefined) log(`  child: ${message.progress.toLocaleString()} / ${message.total.toLocaleString()} events (${message.perSecond.toLocaleString()}/s)`);
      const index = this.waiters.findIndex((w) => w.test(message));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    });
    this.proc.stderr!.on('data', (chunk) => { this.stderr = (this.stderr + chunk).slice(-8_000); });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  next(test: (m: any) => boolean, timeoutMs: number): Promise<any> {
    return Promise.race([
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer from the engine child in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
        this.waiters.push({ test, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      }),
      this.exited.then((code) => { throw new Error(`the engine child exited (${code}); stderr: ${this.stderr}`); }),
    ]);
  }

  send(command: object): void {
    this.proc.stdin!.write(JSON.stringify(command) + '\n');
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'journeys-recovery-'));
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true })); // also when a step fails
const deadUrl = `http://127.0.0.1:${await closedPort()}/hook`;
log(`data directory ${dataDir}; ${sessions.toLocaleString()} waiting instances, ${sends.toLocaleString()} pending sends to ${deadUrl} (nothing listens there)`);

// 1. Build, snapshot, kill -9.
const first = new Child([dataDir, deadUrl]);
await first.next((m) => m.ready === true, 60_000);
const buildBegan = performance.now();
first.send({ op: 'build', sessions, sends, concurrency: 2_000 });
const built = await first.next((m) => m.built === true, 4 * 3_600_000);
log(`built in ${((performance.now() - buildBegan) / 1000).toFixed(1)} s (${built.perSecond.toLocaleString()} events/s); counting before the kill`);
first.send({ op: 'snapshot' });
const before = await first.next((m) => m.snapshot === true, 600_000);
log(`before: ${before.instances.toLocaleString()} active instances, ${before.timers.toLocaleString()} timers, ${before.outbox.toLocaleString()} sends in the outbox; SIGKILL`);
await first.kill();

// 2. Restart on the same data directory: time to ready.
const second = new Child([dataDir, deadUrl]);
const ready = await second.next((m) => m.ready === true, 120_000);
const readyWallMs = performance.now() - second.spawnedAt;
log(`ready ${Math.round(readyWallMs)} ms after spawn (boot ${Math.round(ready.bootMs)} ms, engine created at ${Math.round(ready.createdMs)} ms, first event committed at ${Math.round(ready.servingMs)} ms); counting`);
second.send({ op: 'snapshot' });
const after = await second.next((m) => m.snapshot === true, 600_000);
const closing = performance.now();
second.send({ op: 'close' });
await Promise.race([second.exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
if (second.proc.exitCode === null) {
  log('the restarted child did not close within 30 s; killing it');
  await second.kill();
} else log(`closed in ${Math.round(performance.now() - closing)} ms`);
rmSync(dataDir, { recursive: true, force: true });

const lostInstances = before.instances - after.instances;
const checksumMatches = before.checksum === after.checksum;
results.push({ metric: 'waiting instances built', value: sessions, unit: 'instances' });
results.push({ metric: 'pending sends built', value: sends, unit: 'sends' });
results.push({ metric: 'build rate (child, durable commits)', value: built.perSecond, unit: 'events/s' });
results.push({ metric: 'time to ready: spawn → first event committed', value: Math.round(readyWallMs), unit: 'ms (target ≤ 10,000)' });
results.push({ metric: 'time to ready, fraction of the 10 s target', value: Number((readyWallMs / 10_000).toFixed(3)), unit: '×' });
results.push({ metric: '  of which node + tsx boot', value: Math.round(ready.bootMs), unit: 'ms' });
results.push({ metric: '  of which createEngine (open LMDB, recover)', value: Math.round(ready.createdMs - ready.bootMs), unit: 'ms' });
results.push({ metric: '  of which first ingest committed', value: Math.round(ready.servingMs - ready.createdMs), unit: 'ms' });
results.push({ metric: 'RssAnon of the restarted child at ready', value: Math.round(ready.rssAnonKiB / 1024), unit: 'MiB' });
results.push({ metric: 'active instances before kill', value: before.instances, unit: 'instances' });
results.push({ metric: 'active instances after restart', value: after.instances, unit: 'instances' });
results.push({ metric: 'lost instances', value: lostInstances, unit: 'instances (target 0)' });
results.push({ metric: 'instance id checksum matches', value: checksumMatches ? 1 : 0, unit: '(1 = yes)' });
results.push({ metric: 'timers before kill', value: before.timers, unit: 'timers' });
results.push({ metric: 'timers at ready', value: ready.timers, unit: 'timers' });
results.push({ metric: 'lost timers', value: before.timers - ready.timers, unit: 'timers (target 0)' });
results.push({ metric: 'sends in the outbox before kill', value: before.outbox, unit: 'sends' });
results.push({ metric: 'sends in the outbox at ready', value: ready.outbox, unit: 'sends' });
results.push({ metric: 'lost sends', value: sends - ready.outbox, unit: 'sends (target 0)' });
results.push({ metric: 'counting instances through listInstances (after)', value: after.countMs, unit: 'ms' });
report('recovery', startedAt, results, { note: 'SIGKILL after the build was committed, while the dispatcher kept retrying the pending sends (commits in flight); time to ready = spawn of the new process → engine created → one event ingested and committed' });

const problems: string[] = [];
if (before.instances !== sessions) problems.push(`only ${before.instances} of ${sessions} instances were active before the kill`);
if (lostInstances !== 0 || !checksumMatches) problems.push(`instances differ after restart (${lostInstances} lost, checksum ${checksumMatches ? 'matches' : 'differs'})`);
if (ready.timers !== before.timers) problems.push(`timers ${before.timers} → ${ready.timers}`);
if (ready.outbox !== sends || before.outbox !== sends) problems.push(`outbox ${before.outbox} before, ${ready.outbox} after, ${sends} expected`);
if (readyWallMs > 10_000) problems.push(`ready in ${Math.round(readyWallMs)} ms, over the 10 s target`);
process.stdout.write(problems.length ? `\nMISSED: ${problems.join('; ')}\n` : '\nzero lost instances, timers and sends; ready within the target\n');
