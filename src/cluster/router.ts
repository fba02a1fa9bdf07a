/**
 * Moves events from `journeys.ingest` (any producer, plain NATS or JetStream publishes of
 * Segment-shaped JSON) onto the shard subjects. One worker at a time runs it (the `router`
 * lease), so a profile's events keep their order.
 *
 * It reads the ingest stream with an ordered consumer and keeps its position (the last ingest
 * sequence whose shard publish JetStream acknowledged, all earlier ones too) in the state
 * bucket. A new router resumes after it; what it forwards again is dropped by the duplicate
 * window (`Nats-Msg-Id`) or by the engine's dedupe. An event without a messageId gets
 * `<prefix>-ingest-<seq>`, and its arrival time is the ingest message's stream timestamp, so a
 * second forwarding is the same message.
 *
 * Publishes are pipelined (up to 1024 in flight); the position (saved every 100 ms) is the last
 * event whose publish and every earlier one JetStream acknowledged. If one fails the router
 * stops and a router resumes from the position: events of one profile stay in order unless a
 * later one was stored before the failed one was retried (documented in docs/cluster.md).
 *
 * The router also publishes a watermark (`router.watermark` in the state bucket, every 100 ms):
 * `{at, seqs}` — every ingest event stamped before `at` has been forwarded, to shard n at or
 * before stream sequence `seqs[n]`. A worker fires a timer due at T only once `at` is past T and
 * the shard's feed has applied up to `seqs[n]`, so a timeout never overtakes an event still
 * waiting in the ingest stream or on its way to the worker (during a router failover, timers
 * wait).
 *
 * An event that is not valid is not forwarded: it is logged and published to
 * `<prefix>.rejected` as `{ seq, field, message, data }`.
 */
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsumerMessages, JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { EventShapeError } from '../core/event.js';
import { publishToShard } from '../transport/nats-bus.js';
import { routeEvent } from '../transport/route.js';
import { yieldToLoop } from './shard-feed.js';
import type { ClusterLinks } from './links.js';
import type { ClusterNames } from './names.js';

const POSITION_KEY = 'router.position';
export const WATERMARK_KEY = 'router.watermark';
const WINDOW = 1_024;

export class IngestRouter {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  /** Publishes in flight, in ingest order; the front ones leave as their acks come back. */
  private readonly inflight: Inflight[] = [];
  private position = 0;
  private savedPosition = 0;
  /** Stream timestamp of the last event forwarded (and of every one before it). */
  private forwardedUntil = 0;
  /** True when everything the ingest stream held has been forwarded. */
  private idle = false;
  /** Per shard, the stream sequence of the last event forwarded there (with all before it acknowledged). */
  private readonly shardSeqs: number[];
  private failed: Error | undefined;
  private space: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  forwarded = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly names: ClusterNames,
    private readonly state: KV,
    private readonly links: ClusterLinks,
    private readonly shards: number,
    private readonly logger: Logger,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.shardSeqs = new Array<number>(shards).fill(0);
  }

  async start(): Promise<void> {
    const stored = await this.state.get(POSITION_KEY);
    this.position = this.savedPosition = stored && stored.operation === 'PUT' ? Number(stored.string()) || 0 : 0;
    const consumer = await this.js.consumers.get(this.names.ingestStream, { filter_subjects: this.names.ingestSubject, opt_start_seq: this.position + 1 });
    this.messages = await consumer.consume({ max_messages: 1_000 });
    const messages = this.messages;
    // An empty ingest stream (from the position on) is caught up at once.
    const info = await consumer.info(true).catch(() => undefined);
    if (info && info.num_pending === 0) this.idle = true;
    // Every 100 ms: the watermark, and the position when it moved.
    this.timer = setInterval(() => {
      const watermark: Watermark = { at: this.idle ? Date.now() : this.forwardedUntil, seqs: this.shardSeqs };
      this.state.put(WATERMARK_KEY, JSON.stringify(watermark)).catch(() => undefined);
      if (this.position !== this.savedPosition) {
        const position = this.position;
        this.state.put(POSITION_KEY, String(position)).then(() => (this.savedPosition = position), () => undefined);
      }
    }, 100);
    this.timer.unref();
    this.loop = (async () => {
      let slice = performance.now();
      for await (const m of messages) {
        if (this.failed) throw this.failed;
        if (performance.now() - slice > 10) {
          await yieldToLoop(); // timers and I/O run too (see shard-feed.ts)
          slice = performance.now();
        }
        const arrival = Math.floor(m.info.timestampNanos / 1e6);
        const last = m.info.pending === 0;
        this.idle = false; // until this one is forwarded, the watermark stays behind it
        let routed;
        try {
          routed = routeEvent(JSON.parse(m.string()), arrival, this.links, this.shards, () => `${this.names.prefix}-ingest-${m.seq}`);
        } catch (error) {
          const field = error instanceof EventShapeError ? error.field : '';
          const message = error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message;
          this.logger.warn({ seq: m.seq, field, err: message }, 'rejected an ingest event');
          this.nc.publish(this.names.rejectedSubject, JSON.stringify({ seq: m.seq, field, message, data: m.string().slice(0, 4_096) }));
          this.track({ seq: m.seq, arrival, last, done: false, shard: -1, shardSeq: 0 }, Promise.resolve());
          continue;
        }
        const { shard, message } = routed;
        if (message.link) await this.links.put(message.link.anonymousId, message.link.userId);
        const ack = publishToShard(this.js, this.names, shard, message);
        this.track({ seq: m.seq, arrival, last, done: false, shard, shardSeq: 0 }, ack);
        if (this.inflight.length >= WINDOW) await new Promise<void>((resolve) => (this.space = resolve));
      }
    })().catch((error) => {
      this.logger.error({ err: error }, 'the ingest router stopped');
      this.onFailure(error as Error);
    });
  }

  /** Follows a publish; when the front of the line is acknowledged, the position moves past it. */
  private track(entry: Inflight, ack: Promise<{ seq: number } | void>): void {
    this.inflight.push(entry);
    ack.then(
      (pubAck) => {
        entry.done = true;
        if (pubAck) entry.shardSeq = pubAck.seq;
        while (this.inflight.length > 0 && this.inflight[0]!.done) {
          const front = this.inflight.shift()!;
          this.forwarded++;
          this.position = front.seq;
          this.forwardedUntil = front.arrival;
          if (front.shard >= 0 && front.shardSeq > this.shardSeqs[front.shard]!) this.shardSeqs[front.shard] = front.shardSeq;
          if (this.inflight.length === 0 && front.last) this.idle = true;
        }
        if (this.space && this.inflight.length < WINDOW) {
          const wake = this.space;
          this.space = undefined;
          wake();
        }
      },
      (error: Error) => {
        // The position stays before this event: the next router forwards it (and what follows) again.
        this.failed ??= error;
        this.messages?.stop();
        this.space?.();
      },
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.messages?.stop();
    this.space?.();
    await this.loop;
    const until = Date.now() + 5_000;
    while (this.inflight.length > 0 && !this.failed && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.position !== this.savedPosition) await this.state.put(POSITION_KEY, String(this.position)).catch(() => undefined);
  }
}

/** What the router has forwarded: see the header. */
export interface Watermark {
  at: number;
  seqs: number[];
}

interface Inflight {
  seq: number;
  shard: number;
  /** The shard stream's sequence for it, once acknowledged. */
  shardSeq: number;
  arrival: number;
  /** Nothing was behind it in the ingest stream when it was read. */
  last: boolean;
  done: boolean;
}
