/** Retry policies (payload.md): exponential backoff with full jitter, within attempts and age limits. */
import { settingDurationMs } from '../machines/duration.js';
import type { DestinationConfig, RetryPolicy } from './types.js';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, initialBackoffMs: 1_000, maxBackoffMs: 600_000, maxAgeMs: 86_400_000 };
export const DEFAULT_CONCURRENCY = 32;

export function retryPolicyOf(config: DestinationConfig): RetryPolicy {
  const retry = config.retry ?? {};
  return {
    maxAttempts: retry.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    initialBackoffMs: retry.initialBackoff ? settingDurationMs(retry.initialBackoff) : DEFAULT_RETRY.initialBackoffMs,
    maxBackoffMs: retry.maxBackoff ? settingDurationMs(retry.maxBackoff) : DEFAULT_RETRY.maxBackoffMs,
    maxAgeMs: retry.maxAge ? settingDurationMs(retry.maxAge) : DEFAULT_RETRY.maxAgeMs,
  };
}

/** The wait before attempt `attempts + 1`: full jitter over the exponential bound, or Retry-After when longer. */
export function backoffMs(policy: RetryPolicy, attempts: number, random: () => number, retryAfterMs?: number): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.floor(random() * bound);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}
