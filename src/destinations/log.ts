/** The `log` destination (development): the send as one structured log line. */
import type { Logger } from 'pino';
import type { DestinationConfig, DestinationDriver } from './types.js';

export function logDestination(config: DestinationConfig, logger: Logger): DestinationDriver {
  const log = logger.child({ destination: config.id });
  return {
    async deliver(record) {
      log.info({ messageId: record.messageId, journey: record.journeyId, instance: record.instanceId, step: record.step, body: record.body }, 'send');
      return { ok: true };
    },
  };
}
