/** Checks a destination from the API, naming the field of each problem. */
import type { DestinationConfig } from '../destinations/types.js';
import { validateFunctionSettings } from '../destinations/function.js';
import { validateWebhookSettings } from '../destinations/webhook.js';
import { validateNatsSettings } from '../destinations/nats.js';
import { JourneysError } from '../errors.js';
import { settingDurationMs } from '../machines/duration.js';

const TYPES = ['webhook', 'nats', 'function', 'log'];

export function validateDestination(input: Record<string, unknown>): DestinationConfig {
  const problems: string[] = [];
  const { id, type, settings = {}, retry, concurrency } = input;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) problems.push('"id" must be letters, digits, "-" or "_" (at most 64)');
  if (typeof type !== 'string' || !TYPES.includes(type)) problems.push(`"type" must be one of ${TYPES.join(', ')}`);
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) problems.push('"settings" must be an object');
  else if (type === 'webhook') problems.push(...validateWebhookSettings(settings as Record<string, unknown>));
  else if (type === 'function') problems.push(...validateFunctionSettings(settings as Record<string, unknown>));
  else if (type === 'nats') problems.push(...validateNatsSettings(settings as Record<string, unknown>));
  if (retry !== undefined) {
    if (!retry || typeof retry !== 'object') problems.push('"retry" must be an object');
    else {
      const r = retry as Record<string, unknown>;
      if (r.maxAttempts !== undefined && (!Number.isInteger(r.maxAttempts) || (r.maxAttempts as number) < 1)) problems.push('"retry.maxAttempts" must be a positive integer');
      for (const field of ['initialBackoff', 'maxBackoff', 'maxAge']) {
        if (r[field] === undefined) continue;
        try {
          settingDurationMs(String(r[field]));
        } catch {
          problems.push(`"retry.${field}" must be a duration such as "1s"`);
        }
      }
    }
  }
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || (concurrency as number) < 1)) problems.push('"concurrency" must be a positive integer');
  if (problems.length) throw new JourneysError('JRN_INVALID_REQUEST', `Invalid destination: ${problems.join('; ')}.`);
  const config: DestinationConfig = { id: id as string, type: type as string, settings: settings as Record<string, unknown> };
  if (retry !== undefined) config.retry = retry as DestinationConfig['retry'];
  if (concurrency !== undefined) config.concurrency = concurrency as number;
  return config;
}
