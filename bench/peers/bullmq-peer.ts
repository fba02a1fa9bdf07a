/**
 * Peer 2 of the peers bench: BullMQ on Redis (127.0.0.1:6379 unless --redis HOST:PORT), with AOF on and fsync everysec
 * for the run (set through BullMQ's ioredis connection, restored afterwards). Entries are
 * `addBulk` of delayed jobs keyed by session (jobId = session id, delay = the hold, data = the
 * entry event), in chunks of 500 with 8 chunks in flight; a purchase is `remove(jobId)` right
 * after its chunk is added; a `Worker` with concurrency 100 POSTs the nudge to the receiver
 * (undici pool of 100 connections) and completes the job (removed on completion).
 * Phase 1 (memory): N delayed jobs with a 1 h delay, no worker; Redis used_memory and RSS per
 * job, and this process's RssAnon. Phase 2 (workload): timed.
 *   bullmq-peer.ts --sessions N --hold-ms 5000 --receiver URL
 */
import { Queue, Worker } from 'bullmq';
import { Pool } from 'undici';
import { emit, entryEvent, logger, memorySample, nudgeBody, peerArgs, purchases, settleMemory, waitForNudges, type EntryEvent, type PeerResult } from './common.js';

const args = peerArgs();
const peer = 'bullmq';
const log = logger(peer);
const connection = args.redis;
const CHUNK = 500;
const LANES = 8;
const stamp = Date.now();

/** The commands used here, of the ioredis client BullMQ connects with (its IRedisClient type does not declare them). */
interface Redis {
  config(...args: string[]): Promise<unknown>;
  info(section: string): Promise<string>;
}
const infoField = (info: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);

async function enter(queue: Queue, sessions: number, delay: number, withPurchases: boolean): Promise<void> {
  let next = 0;
  let lastLog = performance.now();
  const began = lastLog;
  async function lane(): Promise<void> {
    while (next < sessions) {
      const from = next;
      const to = Math.min(sessions, from + CHUNK);
      next = to;
      const jobs = [];
      for (let i = from; i < to; i++) jobs.push({ name: 'nudge', data: entryEvent(i), opts: { jobId: `s-${i}`, delay, removeOnComplete: true } });
      await queue.addBulk(jobs);
      if (withPurchases) {
        const removals: Promise<unknown>[] = [];
        for (let i = from; i < to; i++) if (purchases(i)) removals.push(queue.remove(`s-${i}`));
        await Promise.all(removals);
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${next.toLocaleString()} / ${sessions.toLocaleString()} sessions entered (${Math.round(next / ((lastLog - began) / 1000)).toLocaleString()}/s)`);
      }
    }
  }
  await Promise.all(Array.from({ length: LANES }, lane));
}

const admin = new Queue(`peers-admin-${stamp}`, { connection });
const redis = (await admin.client) as unknown as Redis;
const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
const [, appendfsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
let restored = false;
async function restore(): Promise<void> {
  if (restored) return;
  restored = true;
  await redis.config('SET', 'appendfsync', appendfsync);
  await redis.config('SET', 'appendonly', appendonly);
  log(`Redis restored: appendonly ${appendonly}, appendfsync ${appendfsync}`);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void restore().finally(() => process.exit(1)));

let memory: PeerResult['memory'];
let wallSeconds = 0;
let entrySeconds = 0;
let nudges: PeerResult['nudges'];
const notes: string[] = [];
try {
  await redis.config('SET', 'appendonly', 'yes');
  await redis.config('SET', 'appendfsync', 'everysec');
  // Turning AOF on starts a rewrite: let it finish before measuring.
  while (infoField(await redis.info('persistence'), 'aof_rewrite_in_progress') === 1 || infoField(await redis.info('persistence'), 'aof_rewrite_scheduled') === 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(`Redis: appendonly yes, appendfsync everysec (were ${appendonly}, ${appendfsync})`);
  const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  notes.push(`Redis ${version}, AOF everysec`);

  // Phase 1: memory per waiting job.
  {
    const queue = new Queue(`peers-memory-${stamp}`, { connection });
    await queue.waitUntilReady();
    log(`memory phase: ${args.memorySessions.toLocaleString()} delayed jobs (1 h)`);
    await settleMemory();
    const before = memorySample();
    const redisBefore = await redis.info('memory');
    await enter(queue, args.memorySessions, 3_600_000, false);
    await settleMemory();
    const after = memorySample();
    const redisAfter = await redis.info('memory');
    const n = args.memorySessions;
    const delayed = await queue.getDelayedCount();
    if (delayed !== n) notes.push(`memory phase: ${delayed} delayed jobs, expected ${n}`);
    memory = {
      sessions: n,
      anonPerInstance: Math.round((after.anon - before.anon) / n),
      heapPerInstance: Math.round((after.heap - before.heap) / n),
      filePerInstance: Math.round((after.file - before.file) / n),
      serverPerInstance: Math.round((infoField(redisAfter, 'used_memory') - infoField(redisBefore, 'used_memory')) / n),
      serverRssPerInstance: Math.round((infoField(redisAfter, 'used_memory_rss') - infoField(redisBefore, 'used_memory_rss')) / n),
      note: 'Redis used_memory per job (the jobs live in Redis); this client process apart',
    };
    log(`memory phase: Redis used_memory ${memory.serverPerInstance} B, RSS ${memory.serverRssPerInstance} B per delayed job; client RssAnon ${memory.anonPerInstance} B`);
    await queue.obliterate({ force: true });
    await queue.close();
  }

  // Phase 2: the workload, timed.
  const name = `peers-workload-${stamp}`;
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  const pool = new Pool(new URL(args.receiver).origin, { connections: 100 });
  let failures = 0;
  const worker = new Worker(name, async (job) => {
    const response = await pool.request({ path: `/hook/${peer}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: nudgeBody(job.data as EntryEvent, Date.now()) });
    await response.body.dump();
    if (response.statusCode >= 300) {
      failures++;
      throw new Error(`HTTP ${response.statusCode}`);
    }
  }, { connection: { ...connection, maxRetriesPerRequest: null }, concurrency: 100 });
  await worker.waitUntilReady();
  const expected = Math.floor(args.sessions / 2);
  log(`workload: ${args.sessions.toLocaleString()} sessions, ${args.holdMs} ms delay`);
  const t0 = Date.now();
  await enter(queue, args.sessions, args.holdMs, true);
  const entryDone = Date.now();
  entrySeconds = (entryDone - t0) / 1000;
  log(`  entries done in ${entrySeconds.toFixed(1)} s; waiting for ${expected.toLocaleString()} nudges`);
  const tally = await waitForNudges(args.receiver, peer, expected, args.holdMs + 600_000, log);
  nudges = { ...tally, expected };
  wallSeconds = (Math.max(entryDone, tally.lastAt) - t0) / 1000;
  if (failures) notes.push(`${failures} failed nudge POSTs`);
  await worker.close();
  await pool.close();
  await queue.obliterate({ force: true });
  await queue.close();
} finally {
  await restore();
  await admin.obliterate({ force: true }).catch(() => undefined);
  await admin.close();
}

emit({ peer, durability: 'Redis AOF everysec', sessions: args.sessions, holdMs: args.holdMs, entrySeconds, wallSeconds, nudges: nudges!, memory: memory!, notes });
