/** The built-in destination types beyond `log` (which needs the logger and lives in the registry). */
import type { DriverFactory } from './types.js';
import { functionDestination } from './function.js';
import { natsDestination } from './nats.js';
import { webhookDestination } from './webhook.js';

export const BUILT_IN_DRIVERS: Record<string, DriverFactory> = {
  webhook: (config) => webhookDestination(config),
  nats: (config) => natsDestination(config),
  function: (config) => functionDestination(config),
};
