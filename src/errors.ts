/**
 * The one error hierarchy: every error the engine raises on purpose carries a stable code
 * (`JRN_…`) and says whether retrying can help.
 */
export const ERROR_CODES = {
  JRN_INVALID_EVENT: { retryable: false, message: 'The event is not valid.' },
  JRN_INVALID_JSON: { retryable: false, message: 'The body is not valid JSON.' },
  JRN_INVALID_REQUEST: { retryable: false, message: 'The request is not valid.' },
  JRN_PAYLOAD_TOO_LARGE: { retryable: false, message: 'The body is over the size limit.' },
  JRN_UNAUTHORIZED: { retryable: false, message: 'Missing or unknown credentials.' },
  JRN_INVALID_JOURNEY: { retryable: false, message: 'The journey definition is not valid.' },
  JRN_NOT_FOUND: { retryable: false, message: 'No such resource.' },
  JRN_CONFLICT: { retryable: false, message: 'The resource cannot change in its current state.' },
  JRN_DATA_FORMAT: { retryable: false, message: 'The data directory has a format this build cannot read.' },
  JRN_SHARD_MISMATCH: { retryable: false, message: 'The data directory was created with another shard count.' },
  JRN_OVERLOADED: { retryable: true, message: 'The engine is over its intake limits; retry later.' },
  JRN_CLOSED: { retryable: true, message: 'The engine is shutting down.' },
  JRN_STORAGE: { retryable: true, message: 'A storage commit failed.' },
  JRN_FENCED: { retryable: true, message: 'This worker no longer holds the lease of a shard it applied; it stops rather than apply the shard twice.' },
  JRN_UNAVAILABLE: { retryable: true, message: 'The cluster is not reachable (NATS), or the shard has no owner right now.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class JourneysError extends Error {
  readonly retryable: boolean;

  constructor(readonly code: ErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JourneysError';
    this.retryable = ERROR_CODES[code].retryable;
    if (options?.details !== undefined) this.details = options.details;
  }

  details?: unknown;
}
