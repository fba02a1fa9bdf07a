/**
 * The HTTP server: one Fastify instance with Segment's Tracking API, the management API and the
 * operations endpoints. JSON in and out; text/plain bodies holding JSON too (analytics.js).
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../runtime/engine.js';
import { LIBRARY } from '../version.js';
import { errorHandler } from './errors.js';
import { intakeRoutes } from './intake.js';
import { managementRoutes } from './management.js';
import type { Metrics } from './metrics.js';
import { operationsRoutes } from './operations.js';

export interface HttpLimits {
  maxEventBytes: number;
  maxBatchBytes: number;
  maxBatchEvents: number;
}

export interface ServerOptions {
  engine: Engine;
  writeKeys: string[];
  adminToken: string;
  limits: HttpLimits;
  metrics: Metrics;
  logger?: Logger;
  /** False while starting or draining: /readyz answers 503. */
  ready?: () => boolean;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Request logs are info-level: kept out of the hot path; warnings and errors still show.
    loggerInstance: options.logger?.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: options.limits.maxBatchBytes,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: { code: 'JRN_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.` } }));
  await app.register(swagger, {
    openapi: {
      info: { title: 'journeys', version: LIBRARY.version, description: 'Segment-compatible intake and the management API of the journeys engine.' },
      components: {
        securitySchemes: {
          writeKey: { type: 'http', scheme: 'basic', description: 'The write key as the user name, empty password' },
          adminToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  intakeRoutes(app, options.engine, new Set(options.writeKeys), options.limits, options.metrics);
  managementRoutes(app, options.engine, options.adminToken);
  operationsRoutes(app, options.engine, options.metrics, options.ready ?? (() => true));
  await app.ready();
  return app;
}
