/**
 * Management changes (journey publish/draft/archive, destinations, audiences) go through one
 * JetStream stream, `journeys.control`, and every worker applies them in the stream's order: so
 * every worker numbers versions alike and sees the same destinations. The worker that took the
 * request answers with its own result of applying it. A worker that starts (or joins) replays
 * the control stream from the sequence it last applied (kept in its LMDB) before it takes shards.
 *
 * Replaying an operation again after a crash is harmless: publishing an unchanged definition
 * keeps its version, archiving twice or putting a destination twice changes nothing.
 */
import type { Logger } from 'pino';
import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ControlOp } from '../runtime/cluster-hooks.js';
import { JourneysError } from '../errors.js';
import type { ClusterNames } from './names.js';
import { lastSeqOf } from './shard-feed.js';

export interface ControlTarget {
  apply(op: ControlOp): Promise<unknown>;
  /** The last control sequence applied here. */
  applied(): number;
  record(seq: number): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class ControlChannel {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly outcomes = new Map<number, Outcome>();
  private readonly waiters = new Map<number, (outcome: Outcome) => void>();
  private caughtUp!: () => void;
  /** Resolves once the stream as it was at start has been applied. */
  readonly ready = new Promise<void>((resolve) => (this.caughtUp = resolve));

  constructor(private readonly js: JetStreamClient, private readonly jsm: JetStreamManager, private readonly names: ClusterNames, private readonly target: ControlTarget, private readonly logger: Logger) {}

  async start(): Promise<void> {
    const from = this.target.applied() + 1;
    const last = await lastSeqOf(this.jsm, this.names.controlStream, this.names.controlSubject);
    if (last < from) this.caughtUp();
    const consumer = await this.js.consumers.get(this.names.controlStream, { filter_subjects: this.names.controlSubject, opt_start_seq: from });
    this.messages = await consumer.consume({ max_messages: 100 });
    const messages = this.messages;
    this.loop = (async () => {
      for await (const m of messages) {
        let outcome: Outcome;
        try {
          const op = JSON.parse(m.string()) as ControlOp;
          outcome = { ok: true, value: await this.target.apply(op) };
        } catch (error) {
          outcome = { ok: false, error };
          if (!(error instanceof JourneysError)) this.logger.warn({ seq: m.seq, err: error }, 'a control operation failed');
        }
        this.target.record(m.seq);
        const waiter = this.waiters.get(m.seq);
        if (waiter) {
          this.waiters.delete(m.seq);
          waiter(outcome);
        } else {
          this.outcomes.set(m.seq, outcome);
          if (this.outcomes.size > 1_000) this.outcomes.delete(this.outcomes.keys().next().value!);
        }
        if (m.seq >= last) this.caughtUp();
      }
    })().catch((error) => this.logger.error({ err: error }, 'control feed stopped'));
  }

  /** Publishes an operation to every worker and resolves with this worker's result of applying it. */
  async submit(op: ControlOp): Promise<unknown> {
    let seq: number;
    try {
      seq = (await this.js.publish(this.names.controlSubject, JSON.stringify(op))).seq;
    } catch (cause) {
      throw new JourneysError('JRN_UNAVAILABLE', `the control stream did not take the change: ${(cause as Error).message}`, { cause });
    }
    const outcome = this.outcomes.get(seq) ?? (await new Promise<Outcome>((resolve) => this.waiters.set(seq, resolve)));
    this.outcomes.delete(seq);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }
}
