/**
 * Cluster workers as real processes (`journeys serve --nats`, through src/cli/dev.ts) against the
 * NATS server on 127.0.0.1:4222, each with its own data directory and HTTP port, sending to a
 * real webhook receiver. Every test gets its own prefix, so its streams and buckets are its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { suite, type Test } from 'uvu';
import { clusterNames } from '../../src/cluster/names.js';
import { Receiver } from './receiver.js';
import { destroyResources } from '../../src/cluster/resources.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Every worker process a test starts dies with the test process, whatever happens to the test.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
export const NATS_URL = process.env.JOURNEYS_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Connects to the test NATS server, or says why the NATS suites are skipped (fails under JOURNEYS_REQUIRE_NATS). */
export async function natsOrSkip(suite: string): Promise<NatsConnection | undefined> {
  try {
    return await connect({ servers: NATS_URL, timeout: 2_000 });
  } catch (error) {
    if (process.env.JOURNEYS_REQUIRE_NATS) throw new Error(`${suite}: NATS is required (JOURNEYS_REQUIRE_NATS) but ${NATS_URL} is not reachable: ${(error as Error).message}`);
    console.log(`SKIPPED ${suite}: no NATS server on ${NATS_URL} (${(error as Error).message}); .ci/run starts one and makes these suites mandatory`);
    return undefined;
  }
}

export function uniquePrefix(name: string): string {
  return `jt${name}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.toLowerCase().slice(0, 32);
}

export async function cleanUp(nc: NatsConnection, prefix: string): Promise<void> {
  await destroyResources(nc, clusterNames(prefix));
}

export interface ClusterSuite {
  test: Test;
  /** `test`, or `test.skip` when no NATS server answers. */
  it: Test | Test['skip'];
  nc: NatsConnection | undefined;
  prefix: string;
  receiver: Receiver;
  /** The receiver's URL (once the suite's first `before` ran). */
  url(): string;
  workers: WorkerProcess[];
  /** Starts a worker of this suite's cluster, sending to its receiver. */
  start(spec: Omit<WorkerSpec, 'prefix' | 'receiver'>): Promise<WorkerProcess>;
}

/**
 * A uvu suite for a cluster test: its own prefix and webhook receiver; without a NATS server its
 * tests are reported as skipped (and fail under JOURNEYS_REQUIRE_NATS). After the suite, its
 * workers are killed and its streams and buckets removed. Hooks a test file adds run after these.
 */
export async function clusterSuite(name: string, short: string): Promise<ClusterSuite> {
  const test = suite(name);
  const nc = await natsOrSkip(name);
  const prefix = uniquePrefix(short);
  const receiver = new Receiver();
  const workers: WorkerProcess[] = [];
  let url = '';
  test.before(async () => {
    if (nc) url = await receiver.start();
  });
  test.after(async () => {
    for (const worker of workers) if (worker.process.exitCode === null && worker.process.signalCode === null) await worker.kill();
    await receiver.stop();
    if (nc) {
      await cleanUp(nc, prefix);
      await nc.close();
    }
  });
  return {
    test, it: nc ? test : test.skip, nc, prefix, receiver, workers, url: () => url,
    async start(spec) {
      const worker = await WorkerProcess.start({ ...spec, prefix, receiver: url });
      workers.push(worker);
      return worker;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface LogLine {
  msg: string;
  worker?: string;
  shard?: number;
  revision?: number;
  at?: number;
  time: number;
  level: number;
  [key: string]: unknown;
}

export interface WorkerSpec {
  prefix: string;
  workerId: string;
  receiver: string;
  shards?: number;
  hold?: string;
  dataDir?: string;
  leaseTtl?: string;
  exportInterval?: string;
}

export class WorkerProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  port = 0;
  killedAt: number | undefined;
  private readonly waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  private constructor(readonly spec: WorkerSpec, readonly dataDir: string, readonly process: ChildProcess) {
    createInterface({ input: process.stderr! }).on('line', (text) => {
      if (!text.startsWith('{')) {
        this.stderr += text + '\n';
        return;
      }
      let line: LogLine;
      try {
        line = JSON.parse(text);
      } catch {
        return;
      }
      this.logs.push(line);
      if (line.level >= 50) this.stderr += text + '\n';
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i]!.test(line)) this.waiters.splice(i, 1)[0]!.resolve(line);
      }
    });
    createInterface({ input: process.stdout! }).on('line', (text) => {
      const match = text.match(/serving on http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) this.port = Number(match[1]);
    });
    this.exited = new Promise((resolve) => process.on('exit', (code) => resolve(code)));
  }

  static async start(spec: WorkerSpec): Promise<WorkerProcess> {
    const dataDir = spec.dataDir ?? mkdtempSync(join(tmpdir(), `journeys-${spec.workerId}-`));
    const journey = JSON.parse(readFileSync(join(root, 'examples/cart-abandonment.json'), 'utf8'));
    journey.steps[0].maxDuration = spec.hold ?? '2s';
    const journeyFile = join(dataDir, '..', `${spec.prefix}-cart.json`);
    writeFileSync(journeyFile, JSON.stringify(journey));
    const config = {
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      nats: { url: NATS_URL, prefix: spec.prefix, workerId: spec.workerId, leaseTtl: spec.leaseTtl ?? '3s', rebalanceInterval: '300ms', exportInterval: spec.exportInterval ?? '1s', timerGrace: '50ms' },
      shards: spec.shards ?? 64,
      auth: { writeKeys: ['wk_test'], adminToken: 'admin-test' },
      destinations: [
        { id: 'crm-webhook', type: 'webhook', settings: { url: spec.receiver } },
        { id: 'email', type: 'webhook', settings: { url: spec.receiver } },
      ],
      journeys: [journeyFile],
      log: { level: 'info' },
    };
    const configFile = join(dataDir, '..', `${spec.prefix}-${spec.workerId}.config.json`);
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'serve', '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const worker = new WorkerProcess(spec, dataDir, child);
    await Promise.race([
      worker.waitLog((line) => line.msg.startsWith('journeys is serving'), 60_000),
      worker.exited.then((code) => { throw new Error(`worker ${spec.workerId} exited (${code}) before serving: ${worker.stderr}`); }),
    ]);
    // The port comes in the banner on stdout, which may arrive after the log line on stderr.
    const until = Date.now() + 10_000;
    while (worker.port === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    if (worker.port === 0) throw new Error(`worker ${spec.workerId} printed no banner with its port`);
    return worker;
  }

  waitLog(test: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${this.spec.workerId}: no such log line in ${timeoutMs} ms; stderr: ${this.stderr.slice(-2_000)}`)), timeoutMs);
      this.waiters.push({ test, resolve: (line) => { clearTimeout(timer); resolve(line); } });
    });
  }

  async readyz(): Promise<{ shards: { owned: number; list: number[] }; worker: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}/readyz`);
    return (await response.json()) as never;
  }

  async kill(): Promise<void> {
    this.killedAt = Date.now();
    this.process.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    this.process.kill('SIGTERM');
    return this.exited;
  }
}

/** Per shard, the intervals during which each worker held it, from the workers' logs. */
export function holdings(workers: WorkerProcess[]): Map<number, { worker: string; from: number; to: number }[]> {
  const byShard = new Map<number, { worker: string; from: number; to: number }[]>();
  for (const worker of workers) {
    const open = new Map<number, number>();
    const close = (shard: number, to: number) => {
      const from = open.get(shard);
      if (from === undefined) return;
      open.delete(shard);
      const list = byShard.get(shard) ?? [];
      list.push({ worker: worker.spec.workerId, from, to });
      byShard.set(shard, list);
    };
    for (const line of worker.logs) {
      if (line.shard === undefined || line.at === undefined) continue;
      if (line.msg === 'shard acquired') open.set(line.shard, line.at);
      else if (line.msg === 'shard released' || line.msg.startsWith('shard lost')) close(line.shard, line.at);
    }
    const end = worker.killedAt ?? Number.MAX_SAFE_INTEGER;
    for (const shard of [...open.keys()]) close(shard, end);
  }
  return byShard;
}
