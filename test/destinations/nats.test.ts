import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { natsDestination, validateNatsSettings } from '../../src/destinations/nats.js';
import type { OutboxRecord } from '../../src/destinations/types.js';
import { outboxRecord as makeRecord } from '../helpers/outbox-record.js';

const SERVER = 'nats://127.0.0.1:4222';

function outboxRecord(body: Record<string, unknown> = { type: 'track', event: 'Cart Abandoned', userId: 'u_1', properties: { email: 'ann@example.com' } }): OutboxRecord {
  return makeRecord(body, { destination: 'bus', messageId: `jrn-${randomBytes(16).toString('hex')}` });
}

const unique = () => randomBytes(6).toString('hex');
const destination = (subject: string, servers: string | string[] = SERVER) => natsDestination({ id: 'bus', type: 'nats', settings: { subject, servers } });

async function reachable(): Promise<NatsConnection | undefined> {
  try {
    return await connect({ servers: SERVER, timeout: 2000, reconnect: false });
  } catch {
    return undefined;
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function registerSuites(plain: NatsConnection, jsm: JetStreamManager): void {
  const core = suite('nats: core publish');

  core('a subject outside any stream receives the JSON body with Nats-Msg-Id', async () => {
    const subject = `journeys.test.${unique()}`;
    const subscription = plain.subscribe(subject, { max: 1 });
    await plain.flush();
    const driver = destination(subject);
    const record = outboxRecord();
    assert.equal(await driver.deliver(record), { ok: true });
    for await (const message of subscription) {
      assert.equal(message.json(), record.body);
      assert.is(message.string(), JSON.stringify(record.body));
      assert.is(message.headers?.get('Nats-Msg-Id'), record.messageId);
    }
    await driver.close!();
  });

  core.run();

  const streams = suite('nats: jetstream');
  const created: string[] = [];
  const createStream = async (subject: string) => {
    const name = `JOURNEYS_TEST_${unique()}`;
    await jsm.streams.add({ name, subjects: [subject] });
    created.push(name);
    return name;
  };
  streams.after(async () => {
    for (const name of created) await jsm.streams.delete(name).catch(() => false);
  });

  streams('a subject in a stream is stored once for two deliveries of a record', async () => {
    const subject = `journeys.test.${unique()}`;
    const name = await createStream(subject);
    const driver = destination(subject);
    const record = outboxRecord();
    const first = await driver.deliver(record);
    const second = await driver.deliver({ ...record, attempts: 1 });
    assert.equal(first, { ok: true, body: JSON.stringify({ stream: name, seq: 1, duplicate: false }) });
    assert.equal(second, { ok: true, body: JSON.stringify({ stream: name, seq: 1, duplicate: true }) });
    const info = await jsm.streams.info(name);
    assert.is(info.state.messages, 1);
    const stored = await jsm.streams.getMessage(name, { seq: 1 });
    assert.is(stored?.header.get('Nats-Msg-Id'), record.messageId);
    assert.equal(stored?.json(), record.body);
    await driver.close!();
  });

  streams('a stream created after the lookup still dedupes by the header', async () => {
    const subject = `journeys.test.${unique()}`;
    const driver = destination(subject);
    assert.ok((await driver.deliver(outboxRecord())).ok, 'no stream yet: core publish, answer cached');
    const name = await createStream(subject);
    const record = outboxRecord();
    assert.equal(await driver.deliver(record), { ok: true });
    assert.equal(await driver.deliver(record), { ok: true });
    assert.is((await jsm.streams.info(name)).state.messages, 1);
    await driver.close!();
  });

  streams('a stream deleted under the driver: the failed publish is retryable and the next one goes core', async () => {
    const subject = `journeys.test.${unique()}`;
    const name = await createStream(subject);
    const driver = destination(subject);
    assert.ok((await driver.deliver(outboxRecord())).ok);
    await jsm.streams.delete(name);
    const failed = await driver.deliver(outboxRecord());
    assert.is(failed.ok, false);
    if (!failed.ok) assert.is(failed.retryable, true);
    const subscription = plain.subscribe(subject, { max: 1 });
    await plain.flush();
    const record = outboxRecord();
    assert.equal(await driver.deliver(record), { ok: true });
    for await (const message of subscription) assert.is(message.headers?.get('Nats-Msg-Id'), record.messageId);
    await driver.close!();
  });

  streams.run();

  const failures = suite('nats: failures');

  failures('no server: retryable with the message', async () => {
    const driver = destination('journeys.test.nowhere', `nats://127.0.0.1:${await closedPort()}`);
    const result = await driver.deliver(outboxRecord());
    assert.is(result.ok, false);
    if (!result.ok) {
      assert.is(result.retryable, true);
      assert.ok(result.error.length > 0);
    }
    await driver.close!();
  });

  failures('invalid settings name the setting and fail sends terminally', async () => {
    assert.equal(validateNatsSettings({ subject: 'journeys.sends' }), []);
    assert.equal(validateNatsSettings({ subject: 'a.b', servers: ['nats://a:4222', 'nats://b:4222'] }), []);
    const problems = validateNatsSettings({ subject: 'journeys.*', servers: [], extra: 1 });
    for (const name of ['settings.subject', 'settings.servers', 'settings.extra']) assert.ok(problems.some((problem) => problem.startsWith(name)), name);
    const result = await natsDestination({ id: 'bus', type: 'nats', settings: {} }).deliver(outboxRecord());
    assert.equal(result.ok ? undefined : [result.retryable, /settings\.subject/.test(result.error)], [false, true]);
  });

  failures.after(async () => {
    await plain.drain();
  });

  failures.run();
}

const plain = await reachable();
if (plain) {
  registerSuites(plain, await jetstreamManager(plain));
} else if (process.env.JOURNEYS_REQUIRE_NATS) {
  const required = suite('nats: server');
  required('a NATS server answers on 127.0.0.1:4222 (JOURNEYS_REQUIRE_NATS is set)', () => {
    assert.unreachable(`no NATS server on ${SERVER}`);
  });
  required.run();
} else {
  console.log('NATS suites skipped: no server on 127.0.0.1:4222');
}
