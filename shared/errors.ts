/**
 * The one error hierarchy of consent-mail.
 *
 * Domain code throws these with a `kind` that says what went wrong in the domain's terms; only the HTTP
 * layer (shared/http/error-responses.ts) turns a kind into a status code, so repositories and policies
 * never know about HTTP.
 */

export const errorKinds = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'refused',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorKind = (typeof errorKinds)[number];

export interface ErrorDetail {
  /** Where the problem is, e.g. `body.email` or `query.list`. */
  path: string;
  message: string;
  /** A stable code for this detail, e.g. a compliance refusal's `deceptive_subject`. */
  code?: string;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Stable, machine-readable code clients may branch on, e.g. `validation_failed`. */
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    options?: { details?: ErrorDetail[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.details = options?.details;
  }
}

export class ValidationError extends AppError {
  /** `code` names a kind of malformed input clients may branch on (`misplaced_placeholder`). */
  constructor(message: string, details: ErrorDetail[] = [], code = 'validation_failed') {
    super('invalid', code, message, { details });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid API key is required: send `Authorization: Bearer <key>`.') {
    super('unauthenticated', 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', 'forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 'not_found', `${what} was not found.`);
  }
}

/**
 * A record an erasure anonymised: its remains are kept (campaign counts, retention) but are nobody's record
 * any more, so reading it answers as missing, saying why.
 */
export class ErasedError extends AppError {
  constructor(what: string) {
    super(
      'not_found',
      'erased',
      `${what} belonged to an erased person; only an anonymous count of it is kept.`,
    );
  }
}

/** A signed link that does not verify, or no longer leads anywhere; nothing is changed. */
export class InvalidLinkError extends AppError {
  constructor(message = 'This link is not valid. Use the link in a recent email.') {
    super('invalid', 'invalid_token', message);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super('conflict', code, message);
  }
}

/** The request was understood but a policy refuses it (e.g. the compliance policy refusing a message). */
export class RefusedError extends AppError {
  constructor(code: string, message: string, details: ErrorDetail[]) {
    super('refused', code, message, { details });
  }
}

export class RateLimitedError extends AppError {
  constructor(message = 'Too many requests; try again later.') {
    super('rate_limited', 'rate_limited', message);
  }
}

/** A dependency (DynamoDB, SES) did not answer; callers such as mail providers should retry. */
export class DependencyUnavailableError extends AppError {
  constructor(dependency: string, cause?: unknown) {
    super('unavailable', 'dependency_unavailable', `${dependency} is temporarily unavailable; try again.`, {
      cause,
    });
  }
}

/**
 * An item read from the table that does not match its entity's schema (shared/data-model/from-item.ts):
 * data written by a bug, by hand or by a version of the code that no longer reads it. Never shown to a
 * caller (an `internal` error answers a generic 500); logged with the entity, the item's key and what
 * does not match, never the values.
 */
export class StoredItemError extends AppError {
  readonly entity: string;

  constructor(entity: string, key: string, details: ErrorDetail[]) {
    super(
      'internal',
      'stored_item_invalid',
      `The stored ${entity} item ${key} does not match its schema: ${details
        .map((detail) => `${detail.path || '(item)'}: ${detail.message}`)
        .join('; ')}`,
      { details },
    );
    this.entity = entity;
  }
}

/** Thrown at start-up when configuration is missing or invalid; names every offending variable. */
export class ConfigurationError extends Error {
  readonly problems: ErrorDetail[];

  constructor(problems: ErrorDetail[]) {
    super(
      `Invalid configuration: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`,
    );
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}
