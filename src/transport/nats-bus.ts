/**
 * Cluster mode's bus: publishing puts the message on its shard's subject in JetStream and
 * resolves on the stream's acknowledgement (the event is durable there). The shards are applied
 * by whichever worker holds them (src/cluster/shard-feed.ts), not through `subscribe`.
 */
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { ClusterNames } from '../cluster/names.js';
import { JourneysError } from '../errors.js';
import type { Bus, ShardMessage, ShardOutcome } from './bus.js';
import { encodeShardMessage, shardMsgId } from './shard-message.js';

/** Puts a message on its shard subject; resolves with JetStream's acknowledgement (its stream sequence). */
export function publishToShard(js: JetStreamClient, names: ClusterNames, shard: number, message: ShardMessage): Promise<PubAck> {
  return js.publish(names.shardSubject(shard), encodeShardMessage(message), { msgID: shardMsgId(shard, message.event.messageId) });
}

export class NatsBus implements Bus {
  constructor(private readonly js: JetStreamClient, private readonly names: ClusterNames) {}

  async publish(shard: number, message: ShardMessage): Promise<ShardOutcome> {
    try {
      const ack = await publishToShard(this.js, this.names, shard, message);
      return { duplicate: ack.duplicate };
    } catch (cause) {
      throw new JourneysError('JRN_UNAVAILABLE', `JetStream did not take the event: ${(cause as Error).message}`, { cause });
    }
  }

  subscribe(): void {
    // The shard feeds apply the stream; nothing subscribes here.
  }

  async close(): Promise<void> {}
}
