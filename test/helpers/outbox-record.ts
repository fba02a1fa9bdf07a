/** Outbox records for driver tests: the shape the dispatcher hands a destination. */
import type { OutboxRecord } from '../../src/destinations/types.js';

let seq = 0;

export function outboxRecord(body: Record<string, unknown>, overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  seq++;
  return {
    seq,
    messageId: `jrn-${seq.toString(16).padStart(32, '0')}`,
    destination: 'hook',
    journeyId: 'cart-abandonment',
    version: 1,
    instanceId: `instance-${seq}`,
    step: 'nudge',
    profileKey: 'u_1',
    body,
    createdAt: Date.now(),
    attempts: 0,
    nextAttemptAt: 0,
    ...overrides,
  };
}
