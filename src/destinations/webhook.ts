/**
 * The `webhook` destination (payload.md): the body as JSON over HTTP(S), with the messageId as
 * `Idempotency-Key` and, with a secret, a Stripe-style signature. One keep-alive pool per
 * destination, so a busy destination reuses its connections instead of paying a handshake per send.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Pool } from 'undici';
import { settingDurationMs } from '../machines/duration.js';
import { LIBRARY } from '../version.js';
import { DEFAULT_CONCURRENCY } from './retry-policy.js';
import type { DeliveryResult, DestinationConfig, DestinationDriver, OutboxRecord } from './types.js';

export const SIGNATURE_HEADER = 'X-Journeys-Signature';
export const DEFAULT_TIMEOUT_MS = 10_000;
const METHODS = ['POST', 'PUT', 'PATCH'] as const;
const SETTINGS = new Set(['url', 'method', 'headers', 'secret', 'timeoutMs']);
/** Set by the driver or by HTTP itself: a user value would break idempotency, signing or framing. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'connection', 'host', 'idempotency-key', 'x-journeys-signature']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BODY_LIMIT = 4096;
/** Past this, a response body is abandoned (its connection closed) rather than read to the end. */
const DRAIN_LIMIT = 1024 * 1024;
const MAX_TIMEOUT_MS = 300_000;

interface WebhookSettings {
  url: URL;
  method: (typeof METHODS)[number];
  headers: Record<string, string>;
  secret: string | undefined;
  timeoutMs: number;
}

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

export function webhookDestination(config: DestinationConfig): DestinationDriver {
  const problems = validateWebhookSettings(config.settings);
  // A stored destination with bad settings must not stop the engine from starting: its sends
  // fail terminally with the reason instead, and can be re-driven once the settings are fixed.
  if (problems.length > 0) {
    const error = `destination "${config.id}": invalid settings: ${problems.join('; ')}`;
    return { deliver: async () => ({ ok: false, retryable: false, error }) };
  }
  const settings = settingsOf(config.settings);
  const pool = new Pool(settings.url.origin, { connections: Math.max(1, config.concurrency ?? DEFAULT_CONCURRENCY) });
  const path = settings.url.pathname + settings.url.search;
  // Lower-cased so a configured `user-agent` replaces the default rather than doubling it.
  const baseHeaders: Record<string, string> = {
    'user-agent': `journeys/${LIBRARY.version}`,
    ...Object.fromEntries(Object.entries(settings.headers).map(([name, value]) => [name.toLowerCase(), value])),
    'content-type': 'application/json',
  };
  let closed = false;

  return {
    async deliver(record) {
      if (closed) return { ok: false, retryable: true, error: 'destination closed' };
      return send(record);
    },
    async close() {
      closed = true;
      await pool.close().catch(() => pool.destroy());
    },
  };

  async function send(record: OutboxRecord): Promise<DeliveryResult> {
    // The body is derived from the stored record alone, so every retry sends the same bytes.
    const body = JSON.stringify(record.body);
    const headers: Record<string, string> = { ...baseHeaders, 'idempotency-key': record.messageId };
    if (settings.secret) headers['x-journeys-signature'] = signatureHeader(settings.secret, body, Math.floor(Date.now() / 1000));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`timeout after ${settings.timeoutMs} ms`)), settings.timeoutMs);
    try {
      const response = await pool.request({ path, method: settings.method, headers, body, signal: abort.signal });
      const text = await readCapped(response.body);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status, body: text };
      const retryable = status === 408 || status === 429 || status >= 500;
      const result: DeliveryResult = { ok: false, retryable, status, body: text, error: `HTTP ${status}` };
      const retryAfterMs = retryable ? parseRetryAfter(response.headers['retry-after'], Date.now()) : undefined;
      if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
      return result;
    } catch (error) {
      if (abort.signal.aborted) return { ok: false, retryable: true, error: `timeout after ${settings.timeoutMs} ms` };
      return { ok: false, retryable: true, error: messageOf(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so an old request cannot be replayed later. */
export function signatureHeader(secret: string, body: string | Uint8Array, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, unixSeconds, body)}`;
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

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function hmacHex(secret: string, unixSeconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
}

function settingsOf(settings: Record<string, unknown>): WebhookSettings {
  return {
    url: new URL(settings.url as string),
    method: (settings.method as WebhookSettings['method'] | undefined) ?? 'POST',
    headers: (settings.headers as Record<string, string> | undefined) ?? {},
    secret: settings.secret as string | undefined,
    timeoutMs: settings.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : timeoutOf(settings.timeoutMs)!,
  };
}

function timeoutOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    return settingDurationMs(value);
  } catch {
    return undefined;
  }
}

/** The first 4 KB of a response body (for the dead letter); the rest is read and dropped so the connection stays reusable. */
async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < BODY_LIMIT) kept.push(chunk);
    size += chunk.length;
    if (size > DRAIN_LIMIT) break;
  }
  return Buffer.concat(kept).subarray(0, BODY_LIMIT).toString('utf8');
}

/** Network errors can carry an empty message (an AggregateError of several addresses) but a code. */
function messageOf(error: unknown): string {
  const { message, code, name } = (error ?? {}) as { message?: string; code?: string; name?: string };
  if (message && code && !message.includes(code)) return `${code}: ${message}`;
  return message || code || name || String(error);
}
