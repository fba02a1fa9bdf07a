/**
 * One worker thread per process for HTTP deliveries (webhooks). The engine's thread keeps the
 * outbox, the dispatcher's lanes, retries and the commits; the delivery thread does the HTTP
 * (delivery-worker.ts). Sends made in one turn of the loop go over as one message, results come
 * back the same way, so a send costs the engine's thread a share of one message instead of a
 * request's framing, socket write and response parsing.
 *
 * The thread starts with the first webhook destination and stops with the last one closed. It
 * does not keep the process alive while nothing is in flight. If it dies, the sends in flight
 * fail as retryable (they are still in the outbox: the dispatcher retries them, with the same
 * messageId) and the next send starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import type { SendPayload } from '../core/types.js';
import type { DeliveryResult } from './types.js';

export type ToThread =
  | { kind: 'open'; client: number; settings: Record<string, unknown>; connections: number }
  | { kind: 'close'; client: number }
  | { kind: 'send'; sends: [id: number, client: number, messageId: string, body: SendPayload][] };

interface Pending {
  resolve: (result: DeliveryResult) => void;
  worker: Worker;
}

const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './delivery-worker.ts' : './delivery-worker.js', import.meta.url);

/** Under tsx (tests, benches, `npm run dev`) the worker loads tsx's hooks itself: a worker does not inherit them. */
function startWorker(): Worker {
  if (!fromSource) return new Worker(workerUrl);
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })`, { eval: true });
}

export class DeliveryThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly clients = new Map<number, { settings: Record<string, unknown>; connections: number }>();
  private outgoing: ToThread[] = [];
  private sends: [number, number, string, SendPayload][] = [];
  private flushing = false;
  private nextId = 0;
  private nextClient = 0;

  /** Opens a webhook client (validated settings) on the thread; returns its handle. */
  open(settings: Record<string, unknown>, connections: number): number {
    const client = ++this.nextClient;
    this.clients.set(client, { settings, connections });
    if (this.worker) this.post({ kind: 'open', client, settings, connections });
    return client;
  }

  send(client: number, messageId: string, body: SendPayload): Promise<DeliveryResult> {
    this.ensureWorker();
    const id = ++this.nextId;
    this.sends.push([id, client, messageId, body]);
    this.schedule();
    if (this.pending.size === 0) this.worker!.ref();
    const worker = this.worker!;
    return new Promise((resolve) => this.pending.set(id, { resolve, worker }));
  }

  async close(client: number): Promise<void> {
    if (!this.clients.delete(client)) return;
    if (!this.worker) return;
    this.post({ kind: 'close', client });
    if (this.clients.size === 0) {
      const worker = this.worker;
      this.worker = undefined;
      this.flush(worker);
      await worker.terminate();
    }
  }

  private ensureWorker(): void {
    if (this.worker) return;
    const worker = startWorker();
    this.worker = worker;
    worker.unref();
    worker.on('message', (results: [number, DeliveryResult][]) => {
      for (const [id, result] of results) this.settle(id, result);
      if (this.pending.size === 0 && this.worker === worker) worker.unref();
    });
    worker.on('error', (error) => this.lost(worker, `delivery thread failed: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `delivery thread exited (${code})`));
    for (const [client, { settings, connections }] of this.clients) this.outgoing.push({ kind: 'open', client, settings, connections });
  }

  /** The thread is gone: what it had in flight fails as retryable; a later send starts another. */
  private lost(worker: Worker, error: string): void {
    if (this.worker === worker) {
      // Not yet posted: they were counted against this thread (see `send`) and fail with it.
      this.worker = undefined;
      this.outgoing = []; // a new thread is sent every open client again
      this.sends = [];
    }
    for (const [id, pending] of [...this.pending]) if (pending.worker === worker) this.settle(id, { ok: false, retryable: true, error });
  }

  private settle(id: number, result: DeliveryResult): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.resolve(result);
  }

  private post(message: ToThread): void {
    this.outgoing.push(message);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      if (this.worker) this.flush(this.worker);
    });
  }

  private flush(worker: Worker): void {
    for (const message of this.outgoing) worker.postMessage(message);
    this.outgoing = [];
    if (this.sends.length > 0) {
      worker.postMessage({ kind: 'send', sends: this.sends } satisfies ToThread);
      this.sends = [];
    }
  }
}

/** The process's delivery thread. */
export const deliveryThread = new DeliveryThread();
