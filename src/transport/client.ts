/**
 * The TypeScript client for producers in cluster mode: it routes an event the way the HTTP shim
 * does (normalize, resolve the profile key through the shared identity links, `shardOf`) and
 * publishes it straight onto its shard subject in JetStream, with `Nats-Msg-Id`. A call resolves
 * when JetStream has stored the event.
 *
 *   const client = await JourneysClient.connect({ servers: 'nats://127.0.0.1:4222' });
 *   await client.track({ userId: 'u1', event: 'checkout_started', properties: { session_id: 's1' } });
 *   await client.close();
 *
 * The cluster must exist (a worker has started once): the client reads the shard count it was
 * created with. Producers that cannot use this client publish to `journeys.ingest` instead.
 */
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ClusterLinks } from '../cluster/links.js';
import { clusterNames } from '../cluster/names.js';
import { EventShapeError } from '../core/event.js';
import { JourneysError } from '../errors.js';
import { routeEvent } from './route.js';
import { NatsBus } from './nats-bus.js';

export interface ClientOptions {
  /** NATS server(s); or pass an open `connection`. */
  servers?: string | string[];
  connection?: NatsConnection;
  /** The cluster's prefix (default `journeys`). */
  prefix?: string;
}

export interface SendResult {
  shard: number;
  profileKey: string;
  messageId: string;
  /** JetStream had this messageId already (within its duplicate window). */
  duplicate: boolean;
}

type Fields = Record<string, unknown>;

export class JourneysClient {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly owned: boolean,
    private readonly bus: NatsBus,
    private readonly links: ClusterLinks,
    readonly shards: number,
  ) {}

  static async connect(options: ClientOptions): Promise<JourneysClient> {
    const names = clusterNames(options.prefix);
    const nc = options.connection ?? (await connect({ servers: options.servers ?? 'nats://127.0.0.1:4222' }));
    try {
      const kvm = new Kvm(nc);
      const state = await kvm.open(names.state);
      const entry = await state.get('shards');
      if (!entry || entry.operation !== 'PUT') throw new JourneysError('JRN_UNAVAILABLE', `no journeys cluster "${names.prefix}" on this NATS server yet (start a worker first)`);
      const links = await ClusterLinks.open(await kvm.open(names.links));
      return new JourneysClient(nc, !options.connection, new NatsBus(jetstream(nc), names), links, Number(entry.string()));
    } catch (error) {
      if (!options.connection) await nc.close().catch(() => undefined);
      if (error instanceof JourneysError) throw error;
      throw new JourneysError('JRN_UNAVAILABLE', `no journeys cluster "${names.prefix}" on this NATS server: ${(error as Error).message}`, { cause: error });
    }
  }

  track(event: Fields): Promise<SendResult> {
    return this.send(event, 'track');
  }

  identify(event: Fields): Promise<SendResult> {
    return this.send(event, 'identify');
  }

  page(event: Fields): Promise<SendResult> {
    return this.send(event, 'page');
  }

  screen(event: Fields): Promise<SendResult> {
    return this.send(event, 'screen');
  }

  group(event: Fields): Promise<SendResult> {
    return this.send(event, 'group');
  }

  alias(event: Fields): Promise<SendResult> {
    return this.send(event, 'alias');
  }

  /** Any Segment-shaped event (`type` in it, or given). Throws JRN_INVALID_EVENT naming the field. */
  async send(event: Fields, type?: string): Promise<SendResult> {
    let routed;
    try {
      routed = routeEvent(event, Date.now(), this.links, this.shards, randomUUID, type);
    } catch (error) {
      if (error instanceof EventShapeError) throw new JourneysError('JRN_INVALID_EVENT', error.message, { details: { field: error.field } });
      throw error;
    }
    const { shard, message } = routed;
    if (message.link) await this.links.put(message.link.anonymousId, message.link.userId);
    const { duplicate } = await this.bus.publish(shard, message);
    return { shard, profileKey: message.profileKey, messageId: message.event.messageId, duplicate };
  }

  async close(): Promise<void> {
    this.links.close();
    if (this.owned) await this.nc.drain();
  }
}
