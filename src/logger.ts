/** The one root logger. Children carry shard, journey, instance; secrets are redacted. */
import { pino, type Logger } from 'pino';

export const REDACT = [
  'auth.adminToken', 'auth.writeKeys', '*.secret', '*.settings.secret', 'settings.secret', 'headers.authorization',
  'req.headers.authorization', '*.headers.Authorization', '*.headers.authorization',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'journeys' } }, destination ?? pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
