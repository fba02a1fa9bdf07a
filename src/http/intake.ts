/**
 * Segment's Tracking API (http.md "Ingest"), so that Segment's own client libraries work by
 * pointing their host here. Write key as the Basic user name or `writeKey` in the body;
 * text/plain bodies and CORS for analytics.js; 200 only once the events are durable.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JourneysError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import type { HttpLimits } from './server.js';
import type { Metrics } from './metrics.js';

const SINGLE: Record<string, string> = { track: 't', identify: 'i', page: 'p', screen: 's', group: 'g', alias: 'a' };

export function intakeRoutes(app: FastifyInstance, engine: Engine, writeKeys: ReadonlySet<string>, limits: HttpLimits, metrics: Metrics): void {
  const authorize = (request: FastifyRequest): void => {
    const header = request.headers.authorization;
    let key: string | undefined;
    if (header?.startsWith('Basic ')) key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
    const bodyKey = (request.body as { writeKey?: unknown } | null)?.writeKey;
    if (!key && typeof bodyKey === 'string') key = bodyKey;
    if (!key || !writeKeys.has(key)) throw new JourneysError('JRN_UNAUTHORIZED', key ? 'Unknown write key.' : 'Send the write key as the Basic auth user name, or as "writeKey" in the body.');
  };
  const checkSize = (value: unknown, where: string): void => {
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (bytes > limits.maxEventBytes) throw new JourneysError('JRN_PAYLOAD_TOO_LARGE', `${where} is ${bytes} bytes; one event may be at most ${limits.maxEventBytes} bytes.`);
  };
  const docs = (summary: string) => ({ tags: ['intake'], summary, security: [{ writeKey: [] }] });

  for (const [type, alias] of Object.entries(SINGLE)) {
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      authorize(request);
      checkSize(request.body, 'The event');
      await engine.ingest(request.body, { type });
      metrics.eventsIn.inc({ type });
      return reply.send({ success: true });
    };
    for (const url of [`/v1/${type}`, `/v1/${alias}`]) {
      app.post(url, { bodyLimit: limits.maxEventBytes + 1024, schema: docs(`Segment ${type} call`) }, handler);
    }
  }

  const batch = async (request: FastifyRequest, reply: FastifyReply) => {
    authorize(request);
    const body = request.body as { batch?: unknown; context?: unknown } | null;
    if (!body || !Array.isArray(body.batch)) throw new JourneysError('JRN_INVALID_EVENT', '"batch" must be an array of events.', { details: { field: 'batch' } });
    if (body.batch.length > limits.maxBatchEvents) throw new JourneysError('JRN_PAYLOAD_TOO_LARGE', `The batch has ${body.batch.length} events; at most ${limits.maxBatchEvents} are allowed.`);
    body.batch.forEach((event, index) => checkSize(event, `batch[${index}]`));
    const context = body.context && typeof body.context === 'object' ? (body.context as Record<string, unknown>) : undefined;
    await engine.ingestBatch(body.batch, context ? { context } : {});
    for (const event of body.batch as { type?: string }[]) metrics.eventsIn.inc({ type: String(event?.type ?? 'track') });
    return reply.send({ success: true });
  };
  for (const url of ['/v1/batch', '/v1/b', '/v1/import']) app.post(url, { bodyLimit: limits.maxBatchBytes, schema: docs('Segment batch call (all-or-nothing)') }, batch);

  // analytics.js in a browser: CORS on the intake routes, preflights answered.
  app.addHook('onRequest', async (request, reply) => {
    if (!isIntake(request.url)) return;
    reply.header('access-control-allow-origin', request.headers.origin ?? '*');
    reply.header('access-control-allow-credentials', 'true');
    reply.header('vary', 'Origin');
  });
  app.options('/v1/*', async (request, reply) => {
    if (!isIntake(request.url)) return reply.status(404).send({ error: { code: 'JRN_NOT_FOUND', message: 'No such route.' } });
    return reply
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'Authorization, Content-Type')
      .header('access-control-max-age', '86400')
      .status(204)
      .send();
  });
}

const INTAKE = new Set(['/v1/batch', '/v1/b', '/v1/import', ...Object.entries(SINGLE).flatMap(([type, alias]) => [`/v1/${type}`, `/v1/${alias}`])]);

function isIntake(url: string): boolean {
  return INTAKE.has(url.split('?')[0]!);
}
