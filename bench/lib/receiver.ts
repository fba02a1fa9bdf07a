/**
 * The parent's side of the loopback webhook receiver (receiver-process.ts runs in a child
 * process): start it, ask it what a run received, wait until a run has received so many
 * requests, close it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from './clock.js';
import type { LatencySummary } from './histogram.js';

export interface RunStats {
  count: number;
  duplicates: number;
  unparsable: number;
  /** Monotonic ms (clock.ts) of the first and the last request of the run. */
  firstAt: number;
  lastAt: number;
  /** From the body's `sent_at` (the scheduled send time) to receipt. */
  fromScheduled: LatencySummary;
  /** From the body's `called_at` (when the generator actually handed the event over) to receipt. */
  fromCalled: LatencySummary;
  negatives: number;
}

export interface Receiver {
  url: string;
  pid: number;
  stats(run: string): Promise<RunStats>;
  forget(run: string): Promise<void>;
  /**
   * Waits until `run` has received `count` requests; gives up when nothing new arrives for
   * `stallMs`, or after `maxMs` in all. Returns the last stats.
   */
  waitFor(run: string, count: number, options?: { stallMs?: number; maxMs?: number; onProgress?: (stats: RunStats) => void }): Promise<RunStats>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./receiver-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code} before it was ready`)));
    child.on('message', (message: { ready?: boolean; port?: number; id?: number }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  child.removeAllListeners('exit');
  const ask = <T>(request: object): Promise<T> =>
    new Promise((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve as (value: unknown) => void);
      child.send({ id, ...request });
    });
  const stats = (run: string) => ask<RunStats>({ kind: 'stats', run });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    pid: child.pid ?? 0,
    stats,
    forget: (run) => ask<void>({ kind: 'forget', run }),
    async waitFor(run, count, options = {}) {
      const stallMs = options.stallMs ?? 10_000;
      const maxMs = options.maxMs ?? 300_000;
      const began = Date.now();
      let last = await stats(run);
      let lastChange = Date.now();
      while (last.count < count && Date.now() - lastChange < stallMs && Date.now() - began < maxMs) {
        await sleep(50);
        const now = await stats(run);
        if (now.count !== last.count) lastChange = Date.now();
        last = now;
        options.onProgress?.(last);
      }
      return last;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask({ kind: 'close' });
      await Promise.race([exited, sleep(2_000)]);
      if (child.exitCode === null) child.kill();
    },
  };
}
