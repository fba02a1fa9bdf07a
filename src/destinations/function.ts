/**
 * The `function` destination (payload.md): user JavaScript (`onEvent(event, settings)`, or
 * `onTrack` for track events) run in a small pool of child processes (function-runner.ts), so
 * that a loop, a runaway allocation or a crash costs only its send — dead-lettered with the
 * reason — never the engine. Each destination owns its pool (forked on the first delivery,
 * killed by `close()`); a child runs one send at a time, the others wait in a queue.
 *
 * Limits: `timeoutMs` (wall clock per send: the child cuts the function itself, and the pool
 * kills a child that does not answer shortly after) and `memoryMb` (the child's V8 heap: past it
 * the child dies and a fresh one is forked when next needed). The child runs without code
 * generation from strings and, where Node has it, under the permission model (no file writes,
 * no child processes; reads only of its own file).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { settingDurationMs } from '../machines/duration.js';
import type { RunnerMessage, RunRequest } from './function-runner.js';
import type { DeliveryResult, DestinationConfig, DestinationDriver } from './types.js';

export interface FunctionConsoleLine {
  destination: string;
  messageId: string;
  level: string;
  message: string;
}

export interface FunctionOptions {
  /** Child processes per destination (default 2). */
  poolSize?: number;
  /** Defaults for destinations whose settings do not say (5000 ms, 64 MB). */
  timeoutMs?: number;
  memoryMb?: number;
  /** Receives the function's `console` output; without it the children do not send it. */
  onConsole?: (line: FunctionConsoleLine) => void;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MEMORY_MB = 64;
const DEFAULT_POOL_SIZE = 2;
const MIN_MEMORY_MB = 16;
const MAX_TIMEOUT_MS = 300_000;
const SETTINGS = new Set(['code', 'settings', 'timeoutMs', 'memoryMb']);
/** How long past its deadline a child has to report its own timeout before it is killed. */
const KILL_GRACE_MS = 200;
/** A child that has not said it is ready by then is stuck: it is killed and reported. */
const START_TIMEOUT_MS = 15_000;
const OUT_OF_MEMORY = /heap out of memory|reached heap limit|allocation failed/i;
const DEFINES_HANDLER = /\b(?:function\s*\*?\s*|(?:const|let|var)\s+|globalThis\.)(?:onEvent|onTrack)\b/;

const fromSource = import.meta.url.endsWith('.ts');
const runnerPath = fileURLToPath(new URL(fromSource ? './function-runner.ts' : './function-runner.js', import.meta.url));

/** Every problem with a function destination's settings, each naming the setting. */
export function validateFunctionSettings(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(settings)) if (!SETTINGS.has(key)) problems.push(`settings.${key} is not a function setting (expected ${[...SETTINGS].join(', ')})`);
  const { code, timeoutMs, memoryMb } = settings;
  if (typeof code !== 'string' || code.trim() === '') {
    problems.push('settings.code is required: JavaScript defining async function onEvent(event, settings)');
  } else {
    try {
      new vm.Script(code, { filename: 'function.js' }); // compiled to check the syntax, never run here
      if (!DEFINES_HANDLER.test(code)) problems.push('settings.code must define onEvent(event, settings) or onTrack(event, settings)');
    } catch (error) {
      problems.push(`settings.code does not compile: ${(error as Error).message}`);
    }
  }
  const user = settings.settings;
  if (user !== undefined && (user === null || typeof user !== 'object' || Array.isArray(user))) problems.push('settings.settings must be an object (it is passed to the function)');
  if (timeoutMs !== undefined) {
    const ms = timeoutOf(timeoutMs);
    if (ms === undefined || ms < 1 || ms > MAX_TIMEOUT_MS) problems.push(`settings.timeoutMs must be milliseconds from 1 to ${MAX_TIMEOUT_MS} (or a duration such as "10s")`);
  }
  if (memoryMb !== undefined && !(Number.isInteger(memoryMb) && (memoryMb as number) >= MIN_MEMORY_MB)) problems.push(`settings.memoryMb must be a whole number of megabytes, at least ${MIN_MEMORY_MB}`);
  return problems;
}

export function functionDestination(config: DestinationConfig, options: FunctionOptions = {}): DestinationDriver {
  const problems = validateFunctionSettings(config.settings);
  const { settings } = config;
  const limits: Limits = {
    timeoutMs: timeoutOf(settings.timeoutMs) ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    memoryMb: (settings.memoryMb as number | undefined) ?? options.memoryMb ?? DEFAULT_MEMORY_MB,
  };
  const code = String(settings.code);
  const codeHash = createHash('sha256').update(code).digest('hex');
  const userSettings = JSON.stringify(settings.settings ?? {});
  const onConsole = options.onConsole;
  let pool: FunctionPool | undefined;
  let closed = false;
  return {
    async deliver(record) {
      if (problems.length > 0) return { ok: false, retryable: false, error: `destination "${config.id}": ${problems.join('; ')}` };
      if (closed) return { ok: false, retryable: true, error: 'function destination closed' };
      pool ??= new FunctionPool(limits, options.poolSize ?? DEFAULT_POOL_SIZE);
      let event: string;
      try {
        event = JSON.stringify(record.body ?? null);
      } catch (error) {
        return { ok: false, retryable: false, error: `the event cannot be passed to the function: ${(error as Error).message}` };
      }
      const log = onConsole && ((level: string, message: string) => onConsole({ destination: config.id, messageId: record.messageId, level, message }));
      return pool.run({ code, codeHash, event, settings: userSettings, timeoutMs: limits.timeoutMs, console: Boolean(onConsole) }, log);
    },
    async close() {
      closed = true;
      await pool?.close();
    },
  };
}

type Limits = { timeoutMs: number; memoryMb: number };

type Log = (level: string, message: string) => void;

interface Job {
  request: RunRequest;
  log: Log | undefined;
  resolve: (result: DeliveryResult) => void;
  timer?: NodeJS.Timeout;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  starting: NodeJS.Timeout;
  job?: Job;
  stderr: string;
  closed: Promise<void>;
}

/** @internal One destination's children; each runs one job at a time. */
class FunctionPool {
  private readonly workers = new Set<Worker>();
  private readonly queue: Job[] = [];
  private readonly execArgv: string[];
  private nextId = 1;
  private closed = false;

  constructor(private readonly limits: Limits, private readonly size: number) {
    this.execArgv = childArgs(limits.memoryMb);
  }

  run(request: Omit<RunRequest, 'type' | 'id'>, log: Log | undefined): Promise<DeliveryResult> {
    return new Promise((resolve) => {
      this.queue.push({ request: { type: 'run', id: this.nextId++, ...request }, log, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = { ok: false, retryable: true, error: 'function destination closed' } as const;
    for (const job of this.queue.splice(0)) job.resolve(closing);
    const exits = [...this.workers].map((worker) => {
      if (worker.job) this.settle(worker, closing);
      hold(worker, true); // so that the caller's process waits for the exit it awaits
      worker.child.kill('SIGKILL');
      return worker.closed;
    });
    await Promise.all(exits);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const idle = [...this.workers].find((worker) => worker.ready && !worker.job);
      if (idle) {
        this.start(idle, this.queue.shift()!);
        continue;
      }
      const booting = [...this.workers].filter((worker) => !worker.ready).length;
      if (this.workers.size >= this.size || booting >= this.queue.length) return;
      this.spawn();
    }
  }

  private spawn(): void {
    // An empty environment: the engine's secrets are not the function's business. (tsx's cache
    // is off because writes are denied.)
    const env = fromSource ? { TSX_DISABLE_CACHE: '1' } : {};
    const child = fork(runnerPath, [], { execArgv: this.execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    const starting = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    const worker: Worker = { child, ready: false, starting, stderr: '', closed: new Promise((resolve) => child.once('close', () => resolve())) };
    this.workers.add(worker);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      worker.stderr = (worker.stderr + chunk).slice(-4096);
    });
    child.on('message', (message: RunnerMessage) => this.receive(worker, message));
    child.on('error', () => child.kill('SIGKILL')); // 'close' follows and reports the job
    child.once('close', (code, signal) => this.lost(worker, code, signal));
  }

  private start(worker: Worker, job: Job): void {
    worker.job = job;
    hold(worker, true);
    job.timer = setTimeout(() => {
      // The child did not cut the function itself (blocked outside its reach): retire it.
      this.settle(worker, { ok: false, retryable: false, error: `function timed out after ${this.limits.timeoutMs} ms` });
      this.workers.delete(worker);
      worker.child.kill('SIGKILL');
      this.pump();
    }, this.limits.timeoutMs + KILL_GRACE_MS);
    worker.child.send(job.request);
  }

  private receive(worker: Worker, message: RunnerMessage): void {
    if (message.type === 'ready') {
      worker.ready = true;
      clearTimeout(worker.starting);
      hold(worker, false);
      this.pump();
    } else if (message.type === 'log') {
      if (worker.job?.request.id === message.id) worker.job.log?.(message.level, message.message);
    } else if (message.type === 'result' && worker.job?.request.id === message.id) {
      this.settle(worker, message.ok ? (message.body === undefined ? { ok: true } : { ok: true, body: message.body }) : { ok: false, retryable: message.retry, error: message.error });
      hold(worker, false);
      this.pump();
    }
  }

  /** A child is gone: its send (if any) fails with the reason, and a new child comes on demand. */
  private lost(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(worker.starting);
    const known = this.workers.delete(worker);
    if (!known || this.closed) return;
    if (worker.job) {
      const outOfMemory = OUT_OF_MEMORY.test(worker.stderr);
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      this.settle(worker, { ok: false, retryable: false, error: outOfMemory ? `function exceeded its memory limit (${this.limits.memoryMb} MB)` : `function crashed: the process ${how}` });
    } else if (!worker.ready) {
      // It never started: the runtime's fault, not the function's. Failing one waiting send per
      // attempt keeps a broken runtime from forking forever.
      const tail = worker.stderr.trim().split('\n').slice(-3).join(' | ');
      this.queue.shift()?.resolve({ ok: false, retryable: true, error: `function runtime failed to start${tail ? `: ${tail}` : ''}` });
    }
    this.pump();
  }

  private settle(worker: Worker, result: DeliveryResult): void {
    const job = worker.job;
    if (!job) return;
    worker.job = undefined;
    clearTimeout(job.timer);
    job.resolve(result);
  }
}

/** An idle child must not keep the engine's process alive; a busy or starting one must. */
function hold(worker: Worker, busy: boolean): void {
  const handles = [worker.child, worker.child.channel, worker.child.stderr as unknown as { ref(): void; unref(): void } | null];
  for (const handle of handles) if (handle) busy ? handle.ref() : handle.unref();
}

function timeoutOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  try {
    return typeof value === 'string' ? settingDurationMs(value) : undefined;
  } catch {
    return undefined;
  }
}

function childArgs(memoryMb: number): string[] {
  const flags = process.allowedNodeEnvironmentFlags;
  const permission = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : undefined;
  // Run from source (development, tests), tsx must read the project, start its loader thread and
  // esbuild's process: only file writes stay denied there.
  const tsx = ['--allow-fs-read=*', '--allow-worker', '--allow-child-process'];
  const sandbox = !permission ? [] : fromSource ? [permission, ...tsx] : [permission, `--allow-fs-read=${runnerPath}`];
  return [...(fromSource ? ['--import', 'tsx'] : []), `--max-old-space-size=${memoryMb}`, '--disallow-code-generation-from-strings', '--no-warnings', ...sandbox];
}
