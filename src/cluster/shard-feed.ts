/**
 * Applies one shard's stream, from a given sequence, on the worker that holds the shard: an
 * ordered consumer (ephemeral, flow-controlled, no acks: the position lives in LMDB, committed
 * with the effects) filtered to `journeys.shard.<n>`.
 *
 * The feed is `live` once it has applied everything the subject held when it started: until
 * then the shard's timers wait (a takeover first replays what the previous holder may already
 * have applied, so a timeout does not fire before the event that would have cancelled it).
 */
import type { Logger } from 'pino';
import type { JetStreamClient, JetStreamManager, ConsumerMessages } from '@nats-io/jetstream';
import { decodeShardMessage, ShardMessageError } from '../transport/shard-message.js';
import type { ShardMessage } from '../transport/bus.js';
import type { ClusterNames } from './names.js';

export interface FeedTarget {
  /** Applies a message (undefined: a bad message, only its sequence is recorded). */
  apply(seq: number, message: ShardMessage | undefined): { wait(): Promise<void> };
  /** Events applied but not yet committed: the feed waits for a commit above a limit. */
  pending(): number;
}

const MAX_PENDING = 2_000;
/** Longest stretch of applying without letting timers and I/O run (lease renewals, HTTP). */
const SLICE_MS = 10;

/**
 * Lets the event loop's other phases run. Buffered messages are handed over through microtasks
 * only, so without this a feed with a backlog would starve timers (the lease renewals) for as
 * long as the backlog lasts.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class ShardFeed {
  live = false;
  /** True when the last message delivered had nothing after it in the stream. */
  idle = false;
  /** The intake time of the last applied event. */
  lastArrival = 0;
  lastSeq = 0;
  private messages: ConsumerMessages | undefined;
  private consumer: { delete(): Promise<boolean> } | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private target = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    readonly shard: number,
    private readonly from: number,
    private readonly into: FeedTarget,
    private readonly logger: Logger,
    private readonly onLive: () => void,
  ) {}

  async start(): Promise<void> {
    const subject = this.names.shardSubject(this.shard);
    this.target = await lastSeqOf(this.jsm, this.names.shardStream, subject);
    this.lastSeq = this.from - 1;
    if (this.target <= this.lastSeq) this.becomeLive(true);
    const consumer = await this.js.consumers.get(this.names.shardStream, { filter_subjects: subject, opt_start_seq: Math.max(1, this.from) });
    this.consumer = consumer;
    this.messages = await consumer.consume({ max_messages: 256 });
    const messages = this.messages;
    this.loop = (async () => {
      let slice = performance.now();
      for await (const m of messages) {
        if (this.stopped) break;
        if (performance.now() - slice > SLICE_MS) {
          await yieldToLoop();
          slice = performance.now();
          if (this.stopped) break;
        }
        let message: ShardMessage | undefined;
        try {
          message = decodeShardMessage(m.data);
        } catch (error) {
          const field = error instanceof ShardMessageError ? error.field : '';
          this.logger.warn({ shard: this.shard, seq: m.seq, field, err: (error as Error).message }, 'skipped a malformed shard message');
        }
        const batch = this.into.apply(m.seq, message);
        this.lastSeq = m.seq;
        if (message) this.lastArrival = message.arrival;
        this.idle = m.info.pending === 0;
        if (!this.live && (m.seq >= this.target || this.idle)) this.becomeLive(false);
        if (this.into.pending() >= MAX_PENDING) await batch.wait().catch(() => undefined);
      }
    })().catch((error) => this.logger.error({ shard: this.shard, afterSeq: this.lastSeq, err: error }, 'shard feed stopped'));
  }

  private becomeLive(empty: boolean): void {
    this.live = true;
    if (empty) this.idle = true;
    this.onLive();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    this.messages?.stop();
    await this.loop;
    // Gone at once rather than after its inactivity threshold (the server keeps fewer consumers).
    await this.consumer?.delete().catch(() => undefined);
  }
}

/** The sequence of the last message on a subject (0 when it has none). */
export async function lastSeqOf(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  try {
    const message = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    return message?.seq ?? 0;
  } catch {
    return 0;
  }
}
