/** Destinations and the outbox records that are delivered to them (payload.md). */
import type { SendPayload } from '../core/types.js';

export type DestinationType = 'webhook' | 'nats' | 'function' | 'log';

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxAgeMs: number;
}

export interface DestinationConfig {
  id: string;
  type: DestinationType | string;
  settings: Record<string, unknown>;
  retry?: { maxAttempts?: number; initialBackoff?: string; maxBackoff?: string; maxAge?: string };
  concurrency?: number;
}

/** A send waiting for delivery; written in the same transaction as the transition that made it. */
export interface OutboxRecord {
  seq: number;
  messageId: string;
  destination: string;
  journeyId: string;
  version: number;
  instanceId: string;
  step: string;
  profileKey: string;
  /**
   * What the destination receives (the payload after the step's mapping). The unmapped payload
   * is not kept: no destination reads it, and it would double the record (records written by
   * earlier builds may still carry it as `payload`; nothing reads it).
   */
  body: SendPayload;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

export interface DeadLetter extends OutboxRecord {
  id: number;
  failedAt: number;
  lastStatus?: number;
  lastBody?: string;
}

export type DeliveryResult =
  | { ok: true; status?: number; body?: string }
  | { ok: false; retryable: boolean; error: string; status?: number; body?: string; retryAfterMs?: number };

/** One destination's way of delivering. Implementations never throw: failures are results. */
export interface DestinationDriver {
  deliver(record: OutboxRecord): Promise<DeliveryResult>;
  close?(): Promise<void>;
  /**
   * How many sends the dispatcher may have handed to the driver at once; by default the
   * destination's `concurrency`. A driver that itself keeps at most `concurrency` requests in
   * flight (the webhook's connection pool) takes more, so that a connection whose response is in
   * never waits for the engine's thread to hand it the next send.
   */
  window?: number;
}

export type DriverFactory = (config: DestinationConfig) => DestinationDriver;
