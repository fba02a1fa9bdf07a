/**
 * Every error leaves the server as `{ error: { code, message, issues? } }` with a fitting status:
 * never a stack trace, never internals. Retryable overload answers carry Retry-After.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { JourneysError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  JRN_INVALID_EVENT: 400,
  JRN_INVALID_JSON: 400,
  JRN_INVALID_REQUEST: 400,
  JRN_INVALID_JOURNEY: 400,
  JRN_UNAUTHORIZED: 401,
  JRN_NOT_FOUND: 404,
  JRN_CONFLICT: 409,
  JRN_PAYLOAD_TOO_LARGE: 413,
  JRN_OVERLOADED: 429,
  JRN_CLOSED: 503,
  JRN_STORAGE: 503,
  JRN_FENCED: 503,
  JRN_UNAVAILABLE: 503,
};

export function sendError(reply: FastifyReply, error: JourneysError): FastifyReply {
  const status = STATUS[error.code] ?? 500;
  if (status === 429 || status === 503) reply.header('retry-after', '1');
  const body: { code: string; message: string; issues?: unknown; field?: string } = { code: error.code, message: error.message };
  if (error.code === 'JRN_INVALID_JOURNEY' && Array.isArray(error.details)) body.issues = error.details;
  const field = (error.details as { field?: unknown } | undefined)?.field;
  if (typeof field === 'string' && field) body.field = field;
  return reply.status(status).send({ error: body });
}

/** Fastify's own errors (body too large, bad JSON, schema) and anything unexpected. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof JourneysError) return sendError(reply, error);
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendError(reply, new JourneysError('JRN_PAYLOAD_TOO_LARGE', `The body is over the limit of ${request.routeOptions.bodyLimit ?? 'the server'} bytes.`));
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendError(reply, new JourneysError('JRN_INVALID_REQUEST', 'Send the body as application/json (or text/plain holding JSON).'));
  }
  if (fastifyError.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return sendError(reply, new JourneysError('JRN_INVALID_JSON', `The body is not valid JSON: ${error.message}`));
  }
  if (fastifyError.validation) {
    return sendError(reply, new JourneysError('JRN_INVALID_REQUEST', error.message));
  }
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send({ error: { code: 'JRN_INVALID_REQUEST', message: error.message } });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send({ error: { code: 'JRN_INTERNAL', message: 'The server failed to handle the request; it is logged.' } });
}
