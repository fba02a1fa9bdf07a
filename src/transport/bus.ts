/**
 * The bus between intake and the shards. Embedded mode uses the in-process bus below; cluster
 * mode puts NATS JetStream behind the same interface. `publish` resolves once the message is
 * durable: here, once the LMDB commit holding its effects is done.
 */
import type { IncomingEvent } from '../core/types.js';

export interface ShardMessage {
  kind: 'event';
  event: IncomingEvent;
  profileKey: string;
  arrival: number;
  /** The identity link the event made (cluster mode: learned by the shard's worker too). */
  link?: { anonymousId: string; userId: string };
}

export interface ShardOutcome {
  duplicate: boolean;
}

export type ShardHandler = (shard: number, message: ShardMessage) => Promise<ShardOutcome>;

export interface Bus {
  /** Routes a message to its shard; resolves when it is durable. */
  publish(shard: number, message: ShardMessage): Promise<ShardOutcome>;
  /** The shard side: where messages are applied. */
  subscribe(handler: ShardHandler): void;
  close(): Promise<void>;
}

/** Embedded mode: the shards live in this process; publishing applies the message at once. */
export class MemoryBus implements Bus {
  private handler: ShardHandler | undefined;

  publish(shard: number, message: ShardMessage): Promise<ShardOutcome> {
    if (!this.handler) return Promise.reject(new Error('no shard handler subscribed to the bus'));
    return this.handler(shard, message);
  }

  subscribe(handler: ShardHandler): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }
}
