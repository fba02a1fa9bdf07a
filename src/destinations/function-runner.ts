/**
 * The child side of the `function` destination (payload.md): a process the parent can kill,
 * running one user function at a time in a node:vm context of its own (cached per code hash).
 *
 * Nothing crosses from this process's realm into a context but primitives (JSON strings, numbers)
 * and the URL / text-encoding classes: fetch, timers, console and crypto are shims written in the
 * context's own realm (BOOTSTRAP) that call a bridge kept in a closure. Every piece of user code,
 * including the continuations of its awaits, runs inside `runInContext(…, { timeout })` — the
 * context drains its own microtask queue (`microtaskMode: 'afterEvaluate'`) — so a synchronous
 * loop anywhere is cut at the deadline without losing the process. The parent still kills the
 * process past the deadline, and it owns the memory limit (`--max-old-space-size`).
 */
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';

/** Parent → child: run the function once. `event` and `settings` are JSON. */
export interface RunRequest {
  type: 'run';
  id: number;
  code: string;
  codeHash: string;
  event: string;
  settings: string;
  timeoutMs: number;
  console: boolean;
}

/** Child → parent. */
export type RunnerMessage =
  | { type: 'ready' }
  | { type: 'log'; id: number; level: string; message: string }
  | { type: 'result'; id: number; ok: true; body?: string }
  | { type: 'result'; id: number; ok: false; retry: boolean; error: string };

type Outcome = { ok: true; body?: string } | { ok: false; retry: boolean; error: string };

/** What the bootstrap returns: called from this realm, with primitives only. */
type ContextApi = { invoke(input: string): void; fire(timerId: number): void; fetched(callId: number, response: string, error: string): void; reset(): void };
type FunctionContext = { context: vm.Context; api: ContextApi };

interface Job {
  request: RunRequest;
  deadline: number;
  deadlineTimer: NodeJS.Timeout;
  timers: Map<number, NodeJS.Timeout>;
  abort: AbortController;
  logged: number;
  fc?: FunctionContext;
}

const MAX_CONTEXTS = 8;
const MAX_LOG_LINES = 50;
const MAX_BODY = 4096;

const BOOTSTRAP = `(function bootstrap(bridge) {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify;
  const timers = new Map(), calls = new Map();
  let nextId = 1;
  class RetryError extends Error { constructor(message) { super(message); this.name = 'RetryError'; } }
  const show = (value) => {
    try { return value != null && typeof value.message === 'string' ? value.message || String(value.name) : String(value); } catch { return 'a value that cannot be shown'; }
  };
  const text = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return String(value.stack || value);
    try { return stringify(value) ?? String(value); } catch { return show(value); }
  };
  const log = (level) => (...args) => bridge.log(level, args.map(text).join(' '));
  function setTimeout(callback, ms, ...args) {
    if (typeof callback !== 'function') throw new TypeError('setTimeout: the callback must be a function');
    const id = nextId++;
    timers.set(id, () => callback(...args));
    bridge.setTimer(id, Number(ms) || 0);
    return id;
  }
  function clearTimeout(id) { if (timers.delete(id)) bridge.clearTimer(id); }
  function fetch(input, init = {}) {
    return new Promise((resolve, reject) => {
      const headers = init.headers == null ? [] : Array.isArray(init.headers) ? init.headers : Object.entries(init.headers);
      let body = init.body;
      if (body instanceof URLSearchParams) body = body.toString();
      if (body != null && typeof body !== 'string') throw new TypeError('fetch: the body must be a string (JSON.stringify it)');
      const id = nextId++;
      calls.set(id, { resolve, reject });
      bridge.fetch(id, stringify({ url: String(input), method: init.method, body, headers: headers.map(([k, v]) => [String(k), String(v)]) }));
    });
  }
  const response = (r) => {
    const headers = new Map(r.headers);
    const body = () => Promise.resolve(r.body);
    return {
      ok: r.status >= 200 && r.status < 300, status: r.status, statusText: r.statusText, url: r.url, redirected: r.redirected,
      headers: { get: (name) => headers.get(String(name).toLowerCase()) ?? null, has: (name) => headers.has(String(name).toLowerCase()), forEach: (fn) => headers.forEach((v, k) => fn(v, k)) },
      text: body, json: () => body().then(parse),
    };
  };
  Object.assign(globalThis, {
    RetryError, setTimeout, clearTimeout, fetch,
    console: { log: log('info'), info: log('info'), debug: log('debug'), warn: log('warn'), error: log('error') },
    crypto: { randomUUID: () => bridge.uuid() },
  });
  return {
    invoke(input) {
      Promise.resolve().then(() => {
        const { event, settings } = parse(input);
        const track = event && event.type === 'track' && typeof onTrack === 'function';
        if (!track && typeof onEvent !== 'function') throw new Error('the code defines no onEvent(event, settings)' + (typeof onTrack === 'function' ? ' for a ' + (event && event.type) + ' event' : ''));
        return track ? onTrack(event, settings) : onEvent(event, settings);
      }).then(
        (value) => { let body; try { body = stringify(value); } catch {} bridge.settle(true, false, '', typeof body === 'string' ? body : ''); },
        (error) => bridge.settle(false, error instanceof RetryError || (error != null && error.name === 'RetryError'), show(error), ''),
      );
    },
    fire(id) {
      const run = timers.get(id);
      if (timers.delete(id)) Promise.resolve().then(run).catch((error) => bridge.crash(show(error)));
    },
    fetched(id, result, error) {
      const call = calls.get(id);
      if (calls.delete(id)) error ? call.reject(new TypeError(error)) : call.resolve(response(parse(result)));
    },
    reset() { timers.clear(); calls.clear(); },
  };
})`;

const bootstrapScript = new vm.Script(BOOTSTRAP, { filename: 'journeys-function-bootstrap.js' });
/** Running an empty script is how the host drains a context's microtasks under the time limit. */
const drainScript = new vm.Script('', { filename: 'journeys-function-drain.js' });
const contexts = new Map<string, FunctionContext>();
let job: Job | undefined;

const send = (message: RunnerMessage) => process.send?.(message);
const active = (fc: FunctionContext) => (job?.fc === fc ? job : undefined);
const timedOut = (current: Job): Outcome => ({ ok: false, retry: false, error: `function timed out after ${current.request.timeoutMs} ms` });
const failed = (prefix: string, error: unknown): Outcome => ({ ok: false, retry: false, error: `${prefix}: ${describe(error)}` });

function describe(error: unknown): string {
  try {
    return error != null && typeof (error as Error).message === 'string' ? (error as Error).message : String(error);
  } catch {
    return 'a value that cannot be shown';
  }
}

function finish(current: Job, outcome: Outcome): void {
  if (job !== current) return;
  job = undefined;
  clearTimeout(current.deadlineTimer);
  for (const timer of current.timers.values()) clearTimeout(timer);
  current.abort.abort(); // work the function did not await does not outlive its send
  current.fc?.api.reset();
  if (!outcome.ok && outcome.error.startsWith('function timed out')) contexts.delete(current.request.codeHash); // it may be stopped halfway
  send({ type: 'result', id: current.request.id, ...outcome });
}

/** Runs the script, then whatever the context has queued, within what is left of the job's time. */
function evaluate(current: Job, script: vm.Script, failure = 'function crashed'): boolean {
  if (job !== current || !current.fc) return false;
  try {
    script.runInContext(current.fc.context, { timeout: Math.max(1, current.deadline - Date.now()) });
    return true;
  } catch (error) {
    finish(current, (error as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' ? timedOut(current) : failed(failure, error));
    return false;
  }
}

async function hostFetch(current: Job, request: string): Promise<[string, string]> {
  try {
    const { url, method, headers, body } = JSON.parse(request) as { url: string; method?: string; headers: [string, string][]; body?: string };
    const response = await fetch(url, { method: method ?? 'GET', headers, body: body ?? null, signal: current.abort.signal });
    const text = await response.text();
    const { status, statusText, redirected } = response;
    return [JSON.stringify({ status, statusText, url: response.url, redirected, headers: [...response.headers], body: text }), ''];
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    return ['', `fetch failed: ${cause?.message ?? cause?.code ?? describe(error)}`];
  }
}

/** A fresh context whose globals are the shims plus URL and text encoding; nothing else. */
function createContext(current: Job): FunctionContext {
  const context = vm.createContext(
    { URL, URLSearchParams, TextEncoder, TextDecoder },
    { name: 'journeys function', microtaskMode: 'afterEvaluate', codeGeneration: { strings: false, wasm: false } },
  );
  const fc = { context } as FunctionContext;
  /** Runs what a host event (a timer, a response) queued in the context, if its job still runs. */
  const resume = (current: Job, step: () => void) => {
    if (active(fc) !== current) return;
    step();
    evaluate(current, drainScript);
  };
  const bridge = {
    settle: (ok: boolean, retry: boolean, error: string, body: string) => {
      const current = active(fc);
      if (current) finish(current, ok ? (body ? { ok: true, body: String(body).slice(0, MAX_BODY) } : { ok: true }) : { ok: false, retry: Boolean(retry), error: String(error) });
    },
    crash: (message: string) => {
      const current = active(fc);
      if (current) finish(current, failed('function crashed', message));
    },
    log: (level: string, message: string) => {
      const current = active(fc);
      if (current?.request.console && current.logged++ < MAX_LOG_LINES) send({ type: 'log', id: current.request.id, level: String(level), message: String(message).slice(0, 2000) });
    },
    uuid: () => randomUUID(),
    setTimer: (id: number, ms: number) => {
      const current = active(fc);
      current?.timers.set(id, setTimeout(() => resume(current, () => fc.api.fire(id)), Math.max(0, Number(ms))));
    },
    clearTimer: (id: number) => {
      const current = active(fc);
      clearTimeout(current?.timers.get(id));
      current?.timers.delete(id);
    },
    fetch: (id: number, request: string) => {
      const current = active(fc);
      if (current) void hostFetch(current, String(request)).then(([response, error]) => resume(current, () => fc.api.fetched(id, response, error)));
    },
  };
  fc.api = (bootstrapScript.runInContext(context) as (b: typeof bridge) => ContextApi)(bridge);
  current.fc = fc;
  return fc;
}

function run(request: RunRequest): void {
  const current: Job = {
    request,
    deadline: Date.now() + request.timeoutMs,
    deadlineTimer: setTimeout(() => finish(current, timedOut(current)), request.timeoutMs),
    timers: new Map(),
    abort: new AbortController(),
    logged: 0,
  };
  job = current; // the pool sends one request at a time
  let fc = (current.fc = contexts.get(request.codeHash));
  if (!fc) {
    let script: vm.Script;
    try {
      script = new vm.Script(request.code, { filename: 'function.js' });
    } catch (error) {
      return finish(current, failed('function failed to load', error));
    }
    fc = createContext(current);
    if (!evaluate(current, script, 'function failed to load')) return;
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(request.codeHash, fc);
  }
  fc.api.invoke(`{"event":${request.event},"settings":${request.settings}}`);
  evaluate(current, drainScript);
}

// Only when forked by the function destination: importing this module elsewhere does nothing.
if (process.send) {
  process.on('message', (message: RunRequest) => {
    if (message?.type === 'run') run(message);
  });
  // An error the function let escape (a rejected promise nobody awaited, say) is its crash.
  const escaped = (error: unknown) => {
    if (job) finish(job, failed('function crashed', error));
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
