/** `POST /v1/destinations/:id/test`: a sample payload delivered at once; the destination's answer. */
import { JourneysError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import type { OutboxRecord } from '../destinations/types.js';
import { LIBRARY } from '../version.js';

export async function testSend(engine: Engine, id: string, input: Record<string, unknown>) {
  const driver = engine.destinations.driver(id);
  if (!driver) throw new JourneysError('JRN_NOT_FOUND', `No destination "${id}".`);
  const now = Date.now();
  const messageId = `jrn-test-${now.toString(16)}`;
  const payload = (input.payload as Record<string, unknown> | undefined) ?? {
    type: 'track', event: 'Journeys Test Send', userId: 'test-user', messageId, timestamp: new Date(now).toISOString(),
    properties: { journey_context: {}, journey_metadata: { journey_id: 'test', journey_version: 0, instance_id: 'test', step_id: 'test', step_key: 'test/v0/test' } },
    context: { library: { ...LIBRARY } },
  };
  const record: OutboxRecord = { seq: 0, messageId, destination: id, journeyId: 'test', version: 0, instanceId: 'test', step: 'test', profileKey: 'test-user', body: payload, createdAt: now, attempts: 0, nextAttemptAt: now };
  const started = performance.now();
  const result = await driver.deliver(record);
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  return result.ok
    ? { ok: true, status: result.status ?? null, body: result.body ?? null, latencyMs }
    : { ok: false, status: result.status ?? null, body: result.body ?? null, error: result.error, retryable: result.retryable, latencyMs };
}
