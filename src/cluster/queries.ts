/**
 * The management API's reads in cluster mode. A question about one instance or profile goes to
 * the worker holding its shard (the holder named by the shard's lease), over NATS request-reply
 * on `<prefix>.rpc.<worker>`; lists and counts ask every live worker and merge:
 *
 * - instances of a journey: each worker lists those of the shards it holds, ordered by id; the
 *   merge keeps the order, so the cursor (the last id) pages across workers;
 * - per-step counts: summed (each worker counts what it applied);
 * - dead letters: each worker has its own outbox, so their ids are `<worker>.<seq>`.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { JourneysError, type ErrorCode } from '../errors.js';
import { shardOf } from '../machines/hashing.js';
import type { Page } from '../runtime/engine-queries.js';
import type { DeadLetterView, JourneyView, Queries } from '../runtime/queries.js';
import type { StoredInstance } from '../runtime/records.js';
import { shardKey } from './leases.js';
import type { ClusterNames } from './names.js';

type Method = keyof Queries;
const METHODS: Method[] = ['getJourney', 'listInstances', 'getInstance', 'getProfile', 'getTraces', 'deleteProfile', 'listDeadLetters', 'redrive', 'redriveAll', 'setMembers'];
const TIMEOUT_MS = 5_000;

export class ClusterQueries implements Queries {
  private subscription: Subscription | undefined;

  constructor(
    private readonly worker: string,
    private readonly nc: NatsConnection,
    private readonly names: ClusterNames,
    private readonly leases: KV,
    private readonly shards: number,
    private readonly local: Queries,
    private readonly liveWorkers: () => Promise<string[]>,
    private readonly holds: (shard: number) => boolean,
    private readonly logger: Logger,
  ) {}

  /** Answers the other workers' questions with this worker's local answers. */
  serve(): void {
    this.subscription = this.nc.subscribe(this.names.rpcSubject(this.worker), {
      callback: (error, message) => {
        if (error) return;
        void (async () => {
          let reply: unknown;
          try {
            const { method, args } = JSON.parse(message.string()) as { method: Method; args: unknown[] };
            if (!METHODS.includes(method)) throw new JourneysError('JRN_INVALID_REQUEST', `unknown method ${method}`);
            reply = { ok: true, value: await (this.local[method] as (...a: unknown[]) => Promise<unknown>)(...args) };
          } catch (cause) {
            const known = cause instanceof JourneysError;
            if (!known) this.logger.error({ err: cause }, 'a routed query failed');
            reply = { ok: false, code: known ? cause.code : 'JRN_UNAVAILABLE', message: known ? cause.message : 'the query failed on the worker holding the shard' };
          }
          message.respond(JSON.stringify(reply));
        })();
      },
    });
  }

  close(): void {
    this.subscription?.unsubscribe();
  }

  private async call<T>(worker: string, method: Method, args: unknown[]): Promise<T> {
    if (worker === this.worker) return (this.local[method] as (...a: unknown[]) => Promise<T>)(...args);
    let answer: { ok: boolean; value?: T; code?: ErrorCode; message?: string };
    try {
      const reply = await this.nc.request(this.names.rpcSubject(worker), JSON.stringify({ method, args }), { timeout: TIMEOUT_MS });
      answer = JSON.parse(reply.string());
    } catch (cause) {
      throw new JourneysError('JRN_UNAVAILABLE', `worker ${worker} did not answer: ${(cause as Error).message}`, { cause });
    }
    if (!answer.ok) throw new JourneysError(answer.code ?? 'JRN_UNAVAILABLE', answer.message);
    return answer.value as T;
  }

  /** The worker holding the shard (this one when it does). */
  private async holder(shard: number): Promise<string> {
    if (this.holds(shard)) return this.worker;
    const entry = await this.leases.get(shardKey(shard)).catch(() => null);
    if (!entry || entry.operation !== 'PUT') throw new JourneysError('JRN_UNAVAILABLE', `shard ${shard} has no holder right now (a takeover is under way); retry shortly`);
    return entry.string();
  }

  private async onShard<T>(shard: number, method: Method, args: unknown[]): Promise<T> {
    return this.call<T>(await this.holder(shard), method, args);
  }

  private async everywhere<T>(method: Method, args: unknown[]): Promise<{ worker: string; value: T }[]> {
    const workers = await this.liveWorkers();
    return Promise.all(workers.map(async (worker) => ({ worker, value: await this.call<T>(worker, method, args) })));
  }

  async getJourney(id: string): Promise<JourneyView> {
    const answers = await this.everywhere<JourneyView>('getJourney', [id]);
    const total = structuredClone(answers[0]!.value);
    for (const { value } of answers.slice(1)) {
      for (const version of total.versions) {
        const other = value.versions.find((v) => v.version === version.version);
        if (!other) continue;
        for (const step of version.steps) {
          const row = other.steps.find((s) => s.id === step.id);
          if (!row) continue;
          step.entered += row.entered;
          step.active += row.active;
          step.completed += row.completed;
          step.sent += row.sent;
          step.failed += row.failed;
        }
      }
    }
    total.steps = total.versions.at(-1)?.steps ?? total.steps;
    return total;
  }

  async listInstances(journeyId: string, query: { userId?: string; status?: StoredInstance['status']; limit?: number; cursor?: string }): Promise<Page<StoredInstance>> {
    if (query.userId) return this.onShard(shardOf(query.userId, this.shards), 'listInstances', [journeyId, query]);
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const answers = await this.everywhere<Page<StoredInstance>>('listInstances', [journeyId, { ...query, limit }]);
    const merged = answers.flatMap(({ value }) => value.items).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = merged.slice(0, limit);
    const more = merged.length > limit || answers.some(({ value }) => value.cursor !== undefined);
    return more && items.length > 0 ? { items, cursor: items.at(-1)!.id } : { items };
  }

  getInstance(instanceId: string) {
    const shard = Number(instanceId.split('-')[0]);
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shards) return Promise.reject(new JourneysError('JRN_NOT_FOUND', `No instance "${instanceId}".`));
    return this.onShard<Awaited<ReturnType<Queries['getInstance']>>>(shard, 'getInstance', [instanceId]);
  }

  getProfile(key: string) {
    return this.onShard<Awaited<ReturnType<Queries['getProfile']>>>(shardOf(key, this.shards), 'getProfile', [key]);
  }

  getTraces(key: string, query: { journey?: string; limit?: number }) {
    return this.onShard<Awaited<ReturnType<Queries['getTraces']>>>(shardOf(key, this.shards), 'getTraces', [key, query]);
  }

  deleteProfile(key: string) {
    return this.onShard<{ instances: number; sends: number }>(shardOf(key, this.shards), 'deleteProfile', [key]);
  }

  async listDeadLetters(query: { destination?: string; limit?: number; cursor?: string }): Promise<Page<DeadLetterView>> {
    const answers = await this.everywhere<Page<DeadLetterView>>('listDeadLetters', [{ ...query, cursor: undefined, limit: 500 }]);
    const all = answers.flatMap(({ worker, value }) => value.items.map((item) => ({ ...item, id: `${worker}.${item.id}` })));
    all.sort((a, b) => (a.failedAt - b.failedAt) || (a.id < b.id ? -1 : 1));
    const start = query.cursor ? all.findIndex((item) => item.id === query.cursor) + 1 : 0;
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const items = all.slice(start, start + limit);
    return start + limit < all.length ? { items, cursor: items.at(-1)!.id as string } : { items };
  }

  async redrive(id: string) {
    const dot = id.lastIndexOf('.');
    if (dot <= 0) throw new JourneysError('JRN_NOT_FOUND', `No dead letter ${id} (in cluster mode their ids are <worker>.<seq>).`);
    return this.call<{ messageId: string }>(id.slice(0, dot), 'redrive', [id.slice(dot + 1)]);
  }

  async setMembers(audienceId: string, profileKeys: string[], member: boolean): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const key of profileKeys) {
      const shard = shardOf(key, this.shards);
      byShard.set(shard, [...(byShard.get(shard) ?? []), key]);
    }
    for (const [shard, keys] of byShard) await this.onShard(shard, 'setMembers', [audienceId, keys, member]);
  }

  async redriveAll(destination?: string): Promise<number> {
    const answers = await this.everywhere<number>('redriveAll', [destination]);
    return answers.reduce((sum, { value }) => sum + value, 0);
  }
}
