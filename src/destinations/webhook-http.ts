/**
 * The HTTP side of the `webhook` destination: one keep-alive undici pool per destination, the
 * body as JSON with the messageId as `Idempotency-Key` and, with a secret, the signature; a
 * response turned into a delivery result (2xx delivered; 408, 429 and 5xx retryable, with
 * Retry-After). Runs on the delivery thread (delivery-thread.ts), or in the caller's thread.
 */
import { createHmac } from 'node:crypto';
import { Pool } from 'undici';
import { settingDurationMs } from '../machines/duration.js';
import { LIBRARY } from '../version.js';
import type { SendPayload } from '../core/types.js';
import type { DeliveryResult } from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const BODY_LIMIT = 4096;
/** Past this, a response body is abandoned (its connection closed) rather than read to the end. */
const DRAIN_LIMIT = 1024 * 1024;

export interface WebhookSettings {
  url: URL;
  method: 'POST' | 'PUT' | 'PATCH';
  headers: Record<string, string>;
  secret: string | undefined;
  timeoutMs: number;
}

export interface WebhookClient {
  send(messageId: string, body: SendPayload): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** Settings that passed validation (webhook.ts), as the client uses them. */
export function webhookSettingsOf(settings: Record<string, unknown>): WebhookSettings {
  return {
    url: new URL(settings.url as string),
    method: (settings.method as WebhookSettings['method'] | undefined) ?? 'POST',
    headers: (settings.headers as Record<string, string> | undefined) ?? {},
    secret: settings.secret as string | undefined,
    timeoutMs: settings.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : timeoutOf(settings.timeoutMs)!,
  };
}

export function timeoutOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    return settingDurationMs(value);
  } catch {
    return undefined;
  }
}

export function webhookClient(settings: WebhookSettings, connections: number): WebhookClient {
  const pool = new Pool(settings.url.origin, { connections: Math.max(1, connections) });
  const path = settings.url.pathname + settings.url.search;
  // Lower-cased so a configured `user-agent` replaces the default rather than doubling it.
  const baseHeaders: Record<string, string> = {
    'user-agent': `journeys/${LIBRARY.version}`,
    ...Object.fromEntries(Object.entries(settings.headers).map(([name, value]) => [name.toLowerCase(), value])),
    'content-type': 'application/json',
  };
  let closed = false;

  return {
    async send(messageId, payload) {
      if (closed) return { ok: false, retryable: true, error: 'destination closed' };
      // The body is derived from the stored record alone, so every retry sends the same bytes.
      const body = JSON.stringify(payload);
      const headers: Record<string, string> = { ...baseHeaders, 'idempotency-key': messageId };
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
    },
    async close() {
      closed = true;
      await pool.close().catch(() => pool.destroy());
    },
  };
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so an old request cannot be replayed later. */
export function signatureHeader(secret: string, body: string | Uint8Array, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, unixSeconds, body)}`;
}

export function hmacHex(secret: string, unixSeconds: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
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
