/** Operations (no auth): liveness, readiness, Prometheus metrics, the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../runtime/engine.js';
import type { Metrics } from './metrics.js';

export function operationsRoutes(app: FastifyInstance, engine: Engine, metrics: Metrics, ready: () => boolean): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'Storage open, shards owned' } }, async (_request, reply) => {
    const status = engine.status();
    const ok = ready() && status.storage === 'open';
    return reply.status(ok ? 200 : 503).send({ ready: ok, ...status });
  });
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/docs', { schema: { tags: ['operations'], summary: 'This OpenAPI document' } }, async () => app.swagger());
}
