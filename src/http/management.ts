/**
 * The management API (http.md), behind the admin token (`Authorization: Bearer <token>`):
 * audiences, destinations, journeys, instances, profiles, traces, dead letters.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { maskDestination } from '../destinations/registry.js';
import type { DestinationConfig } from '../destinations/types.js';
import { JourneysError } from '../errors.js';
import { Checker } from '../machines/checker.js';
import { validateJourney } from '../machines/validate.js';
import { checkCondition } from '../machines/validate-filters.js';
import type { Condition } from '../machines/types.js';
import type { Engine } from '../runtime/engine.js';
import type { InstanceStatus } from '../core/types.js';
import { testSend } from './test-send.js';
import { validateDestination } from './validate-destination.js';

type Body = Record<string, unknown>;

function body(request: FastifyRequest): Body {
  const value = request.body;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new JourneysError('JRN_INVALID_REQUEST', 'The body must be a JSON object.');
  return value as Body;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !v)) throw new JourneysError('JRN_INVALID_REQUEST', `"${field}" must be an array of non-empty strings.`, { details: { field } });
  return value as string[];
}

export function managementRoutes(app: FastifyInstance, engine: Engine, adminToken: string): void {
  const expected = Buffer.from(adminToken);
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0]!;
    if (!isManagement(path) || request.method === 'OPTIONS') return;
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new JourneysError('JRN_UNAUTHORIZED', 'Send the admin token as "Authorization: Bearer <token>".');
    }
  });
  const docs = (tag: string, summary: string) => ({ schema: { tags: [tag], summary, security: [{ adminToken: [] }] } });

  // Audiences
  app.put<{ Params: { id: string } }>('/v1/audiences/:id', docs('audiences', 'Create or replace an audience'), async (request) => {
    const input = body(request);
    const checker = new Checker();
    if (input.condition !== undefined) checkCondition(checker, input.condition, '/condition', { allowContext: false, audiences: [] });
    if (checker.issues.length) throw new JourneysError('JRN_INVALID_REQUEST', checker.issues.map((i) => `${i.path}: ${i.message}`).join(' '));
    const audience = { id: request.params.id, ...(typeof input.name === 'string' ? { name: input.name } : {}), ...(input.condition ? { condition: input.condition as Condition } : {}) };
    await engine.putAudience(audience);
    return audience;
  });
  app.get('/v1/audiences', docs('audiences', 'List audiences'), async () => ({ items: engine.listAudiences() }));
  app.get<{ Params: { id: string } }>('/v1/audiences/:id', docs('audiences', 'Get an audience'), async (request) => {
    const audience = engine.audiences.get(request.params.id);
    if (!audience) throw new JourneysError('JRN_NOT_FOUND', `No audience "${request.params.id}".`);
    return audience;
  });
  for (const [method, member] of [['post', true], ['delete', false]] as const) {
    app[method]<{ Params: { id: string } }>('/v1/audiences/:id/members', docs('audiences', member ? 'Add members' : 'Remove members'), async (request) => {
      const userIds = stringList(body(request).userIds, 'userIds');
      await engine.queries.setMembers(request.params.id, userIds.map((id) => engine.resolveProfileKey(id)), member);
      return { success: true, count: userIds.length };
    });
  }

  // Destinations
  app.post('/v1/destinations', docs('destinations', 'Create or replace a destination'), async (request, reply) => {
    const config = validateDestination(body(request));
    const stored = await engine.putDestination(config);
    return reply.status(201).send(maskDestination(stored));
  });
  app.get('/v1/destinations', docs('destinations', 'List destinations (secrets masked)'), async () => ({ items: engine.destinations.list().map(maskDestination) }));
  app.get<{ Params: { id: string } }>('/v1/destinations/:id', docs('destinations', 'Get a destination (secrets masked)'), async (request) => {
    const stored = engine.destinations.get(request.params.id);
    if (!stored) throw new JourneysError('JRN_NOT_FOUND', `No destination "${request.params.id}".`);
    return maskDestination(stored);
  });
  app.delete<{ Params: { id: string } }>('/v1/destinations/:id', docs('destinations', 'Delete a destination'), async (request) => {
    if (!(await engine.removeDestination(request.params.id))) throw new JourneysError('JRN_NOT_FOUND', `No destination "${request.params.id}".`);
    return { success: true };
  });
  app.post<{ Params: { id: string } }>('/v1/destinations/:id/test', docs('destinations', 'Deliver a sample payload now'), async (request) => testSend(engine, request.params.id, (request.body ?? {}) as Body));

  // Journeys
  app.post('/v1/journeys/validate', docs('journeys', 'Validate a definition'), async (request) => {
    const result = validateJourney(body(request).definition, { destinations: engine.destinations.ids(), audiences: engine.audiences.ids() });
    return { valid: result.valid, issues: result.issues };
  });
  app.post('/v1/journeys', docs('journeys', 'Create or replace the draft of a journey'), async (request, reply) => {
    const definition = await engine.saveDraft(body(request).definition);
    return reply.status(201).send({ id: definition.id, status: 'draft', definition });
  });
  app.put<{ Params: { id: string } }>('/v1/journeys/:id', docs('journeys', 'Replace the draft (409 once published)'), async (request) => {
    const summary = engine.listJourneys().find((j) => j.id === request.params.id);
    if (summary && summary.versions.length > 0) {
      throw new JourneysError('JRN_CONFLICT', `Journey "${request.params.id}" has published versions, which are immutable. POST /v1/journeys with the new definition, then publish it as version ${summary.versions.length + 1}.`);
    }
    const definition = body(request).definition as { id?: unknown } | undefined;
    if (definition && definition.id !== request.params.id) throw new JourneysError('JRN_INVALID_REQUEST', `The definition's id must be "${request.params.id}".`, { details: { field: 'definition.id' } });
    const saved = await engine.saveDraft(definition);
    return { id: saved.id, status: 'draft', definition: saved };
  });
  app.post<{ Params: { id: string } }>('/v1/journeys/:id/publish', docs('journeys', 'Publish the draft as a new version'), async (request) => {
    const { version, unchanged } = await engine.publishDraft(request.params.id);
    return { id: version.id, version: version.version, status: version.status, unchanged };
  });
  app.post<{ Params: { id: string } }>('/v1/journeys/:id/archive', docs('journeys', 'Archive (optionally terminating active instances)'), async (request) => {
    const terminate = (request.body as Body | undefined)?.terminate === true;
    return { success: true, ...(await engine.archive(request.params.id, { terminate })) };
  });
  app.get('/v1/journeys', docs('journeys', 'List journeys'), async () => ({ items: engine.listJourneys().map(({ draft, ...rest }) => ({ ...rest, hasDraft: draft !== undefined, versions: rest.versions.map((v) => ({ version: v.version, status: v.status, publishedAt: new Date(v.publishedAt).toISOString() })) })) }));
  app.get<{ Params: { id: string } }>('/v1/journeys/:id', docs('journeys', 'A journey with per-step counts'), async (request) => engine.queries.getJourney(request.params.id));
  app.post<{ Params: { id: string } }>('/v1/journeys/:id/preview', docs('journeys', 'The payloads each send step would send; nothing is sent'), async (request) => {
    const input = body(request);
    const traits = input.traits && typeof input.traits === 'object' ? (input.traits as Record<string, unknown>) : {};
    return { items: engine.preview(request.params.id, input.event, traits) };
  });
  app.get<{ Params: { id: string }; Querystring: { userId?: string; status?: string; limit?: string; cursor?: string } }>('/v1/journeys/:id/instances', docs('instances', 'Instances of a journey'), async (request) => {
    const { userId, status, limit, cursor } = request.query;
    return engine.queries.listInstances(request.params.id, {
      ...(userId ? { userId: engine.resolveProfileKey(userId) } : {}),
      ...(status ? { status: status as InstanceStatus } : {}),
      ...(limit ? { limit: Number(limit) } : {}),
      ...(cursor ? { cursor } : {}),
    });
  });
  app.get<{ Params: { instanceId: string } }>('/v1/instances/:instanceId', docs('instances', 'An instance with its timeline'), async (request) => engine.queries.getInstance(request.params.instanceId));

  // Profiles
  app.get<{ Params: { userId: string } }>('/v1/profiles/:userId', docs('profiles', 'Traits, audiences, active instances'), async (request) => engine.queries.getProfile(engine.resolveProfileKey(request.params.userId)));
  app.get<{ Params: { userId: string }; Querystring: { journey?: string; limit?: string } }>('/v1/profiles/:userId/trace', docs('profiles', 'The latest entry decisions'), async (request) => ({
    items: await engine.queries.getTraces(engine.resolveProfileKey(request.params.userId), { ...(request.query.journey ? { journey: request.query.journey } : {}), ...(request.query.limit ? { limit: Number(request.query.limit) } : {}) }),
  }));
  app.delete<{ Params: { userId: string } }>('/v1/profiles/:userId', docs('profiles', 'Delete a profile and everything about it'), async (request) => ({ success: true, ...(await engine.queries.deleteProfile(engine.resolveProfileKey(request.params.userId))) }));

  // Dead letters
  app.get<{ Querystring: { destination?: string; limit?: string; cursor?: string } }>('/v1/deadletters', docs('deadletters', 'Sends that failed for good'), async (request) => {
    const page = await engine.queries.listDeadLetters({ ...(request.query.destination ? { destination: request.query.destination } : {}), ...(request.query.limit ? { limit: Number(request.query.limit) } : {}), ...(request.query.cursor ? { cursor: request.query.cursor } : {}) });
    return { ...page, items: page.items.map((d) => ({ id: d.id, destination: d.destination, messageId: d.messageId, attempts: d.attempts, lastError: d.lastError, lastStatus: d.lastStatus, lastBody: d.lastBody, payload: d.body, failedAt: new Date(d.failedAt).toISOString() })) };
  });
  app.post<{ Params: { id: string } }>('/v1/deadletters/:id/redrive', docs('deadletters', 'Deliver a dead letter again'), async (request) => {
    const record = await engine.queries.redrive(request.params.id);
    return { success: true, messageId: record.messageId };
  });
  app.post<{ Querystring: { destination?: string } }>('/v1/deadletters/redrive', docs('deadletters', 'Re-drive all dead letters (of one destination)'), async (request) => ({ success: true, count: await engine.queries.redriveAll(request.query.destination) }));
}

const MANAGEMENT = /^\/v1\/(audiences|destinations|journeys|instances|profiles|deadletters)(\/|$)/;

function isManagement(path: string): boolean {
  return MANAGEMENT.test(path);
}

export type { DestinationConfig };
