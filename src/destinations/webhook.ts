/**
 * The `webhook` destination (payload.md): the body as JSON over HTTP(S), with the messageId as
 * `Idempotency-Key` and, with a secret, a Stripe-style signature. One keep-alive pool per
 * destination, so a busy destination reuses its connections instead of paying a handshake per
 * send. This module validates the settings and makes the driver; the HTTP itself
 * (webhook-http.ts) runs on the process's delivery thread (delivery-thread.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { deliveryThread } from './delivery-thread.js';
import { DEFAULT_CONCURRENCY } from './retry-policy.js';
import type { DestinationConfig, DestinationDriver } from './types.js';
import { hmacHex, timeoutOf, webhookClient, webhookSettingsOf } from './webhook-http.js';

export { parseRetryAfter, signatureHeader } from './webhook-http.js';
export const SIGNATURE_HEADER = 'X-Journeys-Signature';
const METHODS = ['POST', 'PUT', 'PATCH'] as const;
const SETTINGS = new Set(['url', 'method', 'headers', 'secret', 'timeoutMs']);
/** Set by the driver or by HTTP itself: a user value would break idempotency, signing or framing. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection', 'host', 'idempotency-key', 'x-journeys-signature']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_TIMEOUT_MS = 300_000;
/** Sends handed to the delivery thread per connection (see DestinationDriver.window). */
const WINDOW_PER_CONNECTION = 4;

/** Every problem with a webhook's settings, each naming the setting; empty when they are usable. */
export function validateWebhookSettings(settings: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(settings)) if (!SETTINGS.has(key)) problems.push(`settings.${key} is not a webhook setting (expected ${[...SETTINGS].join(', ')})`);
  const { url, method, headers, secret, timeoutMs } = settings;
  if (typeof url !== 'string' || url === '') problems.push('settings.url is required: an http:// or https:// URL');
  else if (!URL.canParse(url)) problems.push(`settings.url "${url}" is not a URL`);
  else if (!['http:', 'https:'].includes(new URL(url).protocol)) problems.push(`settings.url "${url}" must use http or https`);
  if (method !== undefined && !METHODS.includes(method as never)) problems.push(`settings.method must be one of ${METHODS.join(', ')}`);
  if (headers !== undefined) {
    if (!headers || typeof headers !== 'object' || Array.isArray(headers)) problems.push('settings.headers must be an object of header names to strings');
    else {
      for (const [name, value] of Object.entries(headers)) {
        if (!HEADER_NAME.test(name)) problems.push(`settings.headers."${name}" is not a valid header name`);
        else if (RESERVED_HEADERS.has(name.toLowerCase())) problems.push(`settings.headers."${name}" is set by journeys and cannot be configured`);
        if (typeof value !== 'string') problems.push(`settings.headers."${name}" must be a string`);
        else if (/[\r\n\0]/.test(value)) problems.push(`settings.headers."${name}" must not contain line breaks`);
      }
    }
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret === '')) problems.push('settings.secret must be a non-empty string');
  if (timeoutMs !== undefined) {
    const ms = timeoutOf(timeoutMs);
    if (ms === undefined || ms < 1 || ms > MAX_TIMEOUT_MS) problems.push(`settings.timeoutMs must be milliseconds from 1 to ${MAX_TIMEOUT_MS} (or a duration such as "10s")`);
  }
  return problems;
}

export interface WebhookOptions {
  /**
   * Where the HTTP work runs: the process's delivery thread (the default: the engine's thread
   * only hands the send over), or the caller's thread.
   */
  thread?: boolean;
}

export function webhookDestination(config: DestinationConfig, options: WebhookOptions = {}): DestinationDriver {
  const problems = validateWebhookSettings(config.settings);
  // A stored destination with bad settings must not stop the engine from starting: its sends
  // fail terminally with the reason instead, and can be re-driven once the settings are fixed.
  if (problems.length > 0) {
    const error = `destination "${config.id}": invalid settings: ${problems.join('; ')}`;
    return { deliver: async () => ({ ok: false, retryable: false, error }) };
  }
  const connections = Math.max(1, config.concurrency ?? DEFAULT_CONCURRENCY);
  if (options.thread === false) {
    const client = webhookClient(webhookSettingsOf(config.settings), connections);
    return { deliver: (record) => client.send(record.messageId, record.body), close: () => client.close() };
  }
  const client = deliveryThread.open(config.settings, connections);
  let closed = false;
  return {
    // The pool on the thread keeps at most `connections` requests in flight; the rest wait there.
    window: connections * WINDOW_PER_CONNECTION,
    async deliver(record) {
      if (closed) return { ok: false, retryable: true, error: 'destination closed' };
      return deliveryThread.send(client, record.messageId, record.body);
    },
    async close() {
      closed = true;
      await deliveryThread.close(client);
    },
  };
}

/**
 * Whether `header` (an `X-Journeys-Signature` value) signs `body` (the raw request bytes, not a
 * re-serialised object) with `secret`, within `toleranceSeconds` of `now`. Any of several `v1`
 * values may match, so a receiver can accept during a secret rotation.
 */
export function verifySignature(secret: string, header: string | undefined, body: string | Uint8Array, toleranceSeconds = 300, now = Date.now()): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  return candidates.some((candidate) => {
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

