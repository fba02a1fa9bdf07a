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
 * Publishes are pipelined (up to 256 in flight). If one fails the router stops and a router
 * resumes from the position: events of one profile stay in order unless a later one was stored
 * before the failed one was retried (documented in docs/cluster.md).
 *
 * The router also publishes a watermark (`router.watermark` in the state bucket, every 100 ms):
 * every ingest event stamped before it has been forwarded. Workers fire a timer only once the
 * watermark has passed its due time, so a timeout never overtakes an event still waiting in the
 * ingest stream (during a router failover, timers wait).
 *
 * An event that is not valid is not forwarded: it is logged and published to
 * `<prefix>.rejected` as `{ seq, field, message, data }`.
 */
import type { Logger } from 'pino';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsumerMessages, JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { EventShapeError } from '../core/event.js';
import { encodeShardMessage, shardMsgId } from '../transport/shard-message.js';
import { routeEvent } from '../transport/route.js';
import type { ClusterLinks } from './links.js';
import type { ClusterNames } from './names.js';

const POSITION_KEY = 'router.position';
export const WATERMARK_KEY = 'router.watermark';
const WINDOW = 256;

export class IngestRouter {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private inflight: { seq: number; ack: Promise<PubAck> }[] = [];
  private position = 0;
  /** Stream timestamp of the last event forwarded (and of every one before it). */
  private forwardedUntil = 0;
  /** True when the last flush left nothing behind it in the ingest stream. */
  private idle = false;
  private inflightArrival = 0;
  private inflightIdle = false;
  private watermarkTimer: NodeJS.Timeout | undefined;
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
  ) {}

  async start(): Promise<void> {
    const stored = await this.state.get(POSITION_KEY);
    this.position = stored && stored.operation === 'PUT' ? Number(stored.string()) || 0 : 0;
    const consumer = await this.js.consumers.get(this.names.ingestStream, { filter_subjects: this.names.ingestSubject, opt_start_seq: this.position + 1 });
    this.messages = await consumer.consume({ max_messages: 1_000 });
    const messages = this.messages;
    // An empty ingest stream (from the position on) is caught up at once.
    const info = await consumer.info(true).catch(() => undefined);
    if (info && info.num_pending === 0) this.idle = true;
    this.watermarkTimer = setInterval(() => {
      const watermark = this.idle ? Date.now() : this.forwardedUntil;
      this.state.put(WATERMARK_KEY, String(watermark)).catch(() => undefined);
    }, 100);
    this.watermarkTimer.unref();
    this.loop = (async () => {
      for await (const m of messages) {
        const arrival = Math.floor(m.info.timestampNanos / 1e6);
        this.inflightArrival = arrival;
        this.inflightIdle = m.info.pending === 0;
        this.idle = false; // until this one is forwarded, the watermark stays behind it
        let routed;
        try {
          routed = routeEvent(JSON.parse(m.string()), arrival, this.links, this.shards, () => `${this.names.prefix}-ingest-${m.seq}`);
        } catch (error) {
          const field = error instanceof EventShapeError ? error.field : '';
          const message = error instanceof SyntaxError ? `not JSON: ${error.message}` : (error as Error).message;
          this.logger.warn({ seq: m.seq, field, err: message }, 'rejected an ingest event');
          this.nc.publish(this.names.rejectedSubject, JSON.stringify({ seq: m.seq, field, message, data: m.string().slice(0, 4_096) }));
          this.inflight.push({ seq: m.seq, ack: Promise.resolve({} as PubAck) });
        }
        if (routed) {
          const { shard, message } = routed;
          if (message.link) await this.links.put(message.link.anonymousId, message.link.userId);
          const ack = this.js.publish(this.names.shardSubject(shard), encodeShardMessage(message), { msgID: shardMsgId(shard, message.event.messageId) });
          ack.catch(() => undefined); // awaited in flush(); this keeps an early rejection from counting as unhandled
          this.inflight.push({ seq: m.seq, ack });
        }
        if (this.inflight.length >= WINDOW || m.info.pending === 0) await this.flush();
      }
    })().catch((error) => {
      this.logger.error({ err: error }, 'the ingest router stopped');
      this.onFailure(error as Error);
    });
  }

  /** Waits for the publishes in flight and records the position. */
  private async flush(): Promise<void> {
    const batch = this.inflight;
    this.inflight = [];
    if (batch.length === 0) return;
    await Promise.all(batch.map((entry) => entry.ack));
    this.forwarded += batch.length;
    this.position = batch.at(-1)!.seq;
    this.forwardedUntil = this.inflightArrival;
    this.idle = this.inflightIdle;
    await this.state.put(POSITION_KEY, String(this.position));
  }

  async stop(): Promise<void> {
    if (this.watermarkTimer) clearInterval(this.watermarkTimer);
    this.messages?.stop();
    await this.loop;
    await this.flush().catch(() => undefined);
  }
}
