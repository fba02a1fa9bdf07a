/**
 * The `nats` destination (payload.md): the body as JSON on a subject. When a JetStream stream
 * captures the subject, the publish waits for the stream's PubAck and carries the messageId as
 * `Nats-Msg-Id`, so retries inside the stream's duplicate window are stored once.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { LIBRARY } from '../version.js';
import type { DeliveryResult, DestinationConfig, DestinationDriver, OutboxRecord } from './types.js';

export const DEFAULT_NATS_SERVERS = 'nats://127.0.0.1:4222';
/** How long a publish (PubAck or flush) may take before the attempt counts as failed and is retried. */
export const NATS_PUBLISH_TIMEOUT_MS = 10_000;
/** Streams can be created or removed while we run; the subject's stream is looked up again this often. */
const STREAM_LOOKUP_TTL_MS = 60_000;
const SETTINGS = new Set(['subject', 'servers']);
const SUBJECT = /^[^\s*>.]+(\.[^\s*>.]+)*$/;

export interface NatsDeps {
  /** Connection options beyond the servers (credentials, TLS), kept out of the stored settings. */
  connectOptions?: Omit<NodeConnectionOptions, 'servers'>;
  logger?: Logger;
}

interface Session {
  connection: NatsConnection;
  js: JetStreamClient;
  /** Undefined until first needed: a core-only server fails this, and that is an answer, not an error. */
  jsm?: JetStreamManager;
  /** The stream capturing the subject (null: none), and when that was found out. */
  stream?: { name: string | null; at: number };
}

/** Every problem with a nats destination's settings, each naming the setting. */
export function validateNatsSettings(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(settings)) if (!SETTINGS.has(key)) problems.push(`settings.${key} is not a nats setting (expected subject, servers)`);
  const { subject, servers } = settings;
  if (typeof subject !== 'string' || subject === '') problems.push('settings.subject is required');
  else if (!SUBJECT.test(subject)) problems.push(`settings.subject "${subject}" must be a subject without spaces or wildcards, such as "journeys.sends"`);
  const list = servers === undefined ? [] : Array.isArray(servers) ? servers : [servers];
  if (servers !== undefined && (list.length === 0 || !list.every((server) => typeof server === 'string' && server !== ''))) {
    problems.push('settings.servers must be a server URL or a non-empty list of them, such as "nats://127.0.0.1:4222"');
  }
  return problems;
}

export function natsDestination(config: DestinationConfig, deps: NatsDeps = {}): DestinationDriver {
  const problems = validateNatsSettings(config.settings);
  if (problems.length > 0) {
    const error = `destination "${config.id}": invalid settings: ${problems.join('; ')}`;
    return { deliver: async () => ({ ok: false, retryable: false, error }) };
  }
  const subject = config.settings.subject as string;
  const servers = (config.settings.servers as string | string[] | undefined) ?? DEFAULT_NATS_SERVERS;
  const log = deps.logger?.child({ destination: config.id });
  let session: Promise<Session> | undefined;
  let closed = false;

  return {
    async deliver(record) {
      if (closed) return { ok: false, retryable: true, error: 'destination closed' };
      try {
        return await publish(await open(), record);
      } catch (error) {
        return { ok: false, retryable: true, error: messageOf(error) };
      }
    },
    async close() {
      closed = true;
      const pending = session;
      session = undefined;
      const current = await pending?.catch(() => undefined);
      if (current && !current.connection.isClosed()) await current.connection.drain().catch(() => current.connection.close());
    },
  };

  /** Connects on first use; a failed first connect is forgotten so the next attempt tries again. */
  function open(): Promise<Session> {
    if (!session) {
      const opening = connect({
        name: `journeys/${LIBRARY.version} ${config.id}`,
        // After the first connect, the client reconnects by itself for as long as we run.
        maxReconnectAttempts: -1,
        ...deps.connectOptions,
        servers,
      }).then((connection) => {
        watch(connection);
        return { connection, js: jetstream(connection, { timeout: NATS_PUBLISH_TIMEOUT_MS }) };
      });
      session = opening;
      opening.catch(() => {
        if (session === opening) session = undefined;
      });
    }
    return session;
  }

  function watch(connection: NatsConnection): void {
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect') log?.warn({ nats: status.type, server: status.server }, 'nats connection');
      }
    })().catch(() => {});
    // A connection that closes without close() (server gone for good, auth revoked) is replaced on the next delivery.
    void connection.closed().then(() => {
      if (!closed) session = undefined;
    });
  }

  async function publish(current: Session, record: OutboxRecord): Promise<DeliveryResult> {
    const data = JSON.stringify(record.body);
    let stream: string | null;
    try {
      stream = await streamOf(current);
    } catch (error) {
      return { ok: false, retryable: true, error: `stream lookup: ${messageOf(error)}` };
    }
    try {
      if (stream !== null) {
        const ack = await current.js.publish(subject, data, { msgID: record.messageId, timeout: NATS_PUBLISH_TIMEOUT_MS });
        return { ok: true, body: JSON.stringify({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }) };
      }
      // The header costs little and means a stream created after our lookup still dedupes retries.
      const headers = natsHeaders();
      headers.set('Nats-Msg-Id', record.messageId);
      current.connection.publish(subject, data, { headers });
      await withTimeout(current.connection.flush(), NATS_PUBLISH_TIMEOUT_MS);
      return { ok: true };
    } catch (error) {
      // The stream may have gone (or appeared): the next attempt asks again.
      current.stream = undefined;
      const prefix = stream === null ? 'publish' : `jetstream publish to stream ${stream}`;
      return { ok: false, retryable: true, error: `${prefix}: ${messageOf(error)}` };
    }
  }

  /** The stream that captures the subject, asked once and cached (forgotten on a publish error or after a minute). */
  async function streamOf(current: Session): Promise<string | null> {
    if (current.stream && Date.now() - current.stream.at < STREAM_LOOKUP_TTL_MS) return current.stream.name;
    let name: string | null;
    try {
      current.jsm ??= await jetstreamManager(current.connection, { timeout: NATS_PUBLISH_TIMEOUT_MS });
      name = await current.jsm.streams.find(subject);
    } catch (error) {
      if (!noStream(error)) throw error;
      name = null;
    }
    current.stream = { name, at: Date.now() };
    return name;
  }
}

function noStream(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === JetStreamApiCodes.StreamNotFound;
  return (error as Error | undefined)?.name === 'JetStreamNotEnabled';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  const { message, code, name } = (error ?? {}) as { message?: string; code?: string; name?: string };
  const cause = (error as { cause?: { message?: string } } | undefined)?.cause?.message;
  const text = message || code || name || String(error);
  return cause && !text.includes(cause) ? `${text}: ${cause}` : text;
}
