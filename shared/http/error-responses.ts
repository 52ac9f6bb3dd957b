import type { Context } from 'hono';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorDetail, type ErrorKind } from '../errors';
import { errorPageMessagesFor } from '../i18n/error-page-messages';
import type { AppEnv } from './app-env';
import { htmlPage } from './html-page';
import { pageIfBrowserAsks } from './page-language';

/**
 * The one way errors leave a consent-mail app: JSON `{ error: { code, message, details? } }` for API
 * callers, a friendly HTML page on human-facing routes. Unexpected errors are logged and answered with a
 * generic 500 that reveals nothing about the internals.
 */

const statusOfKind: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  refused: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const codeOfStatus: Partial<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

interface ShapedError {
  status: ContentfulStatusCode;
  body: ErrorBody;
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/**
 * AWS SDK and network failures mean a dependency did not do what we asked: answer 503 so callers (a
 * mail provider's one-click POST, a signup backend) retry, rather than a 500 that reads like our bug.
 */
function isDependencyFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (error.name === 'TimeoutError' || THROTTLING_ERRORS.has(error.name)) return true;
  if (cancelledOnlyByConflicts(error)) return true;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  // An SDK error with no HTTP status never reached the service; a 5xx is the service failing.
  return metadata !== undefined && (metadata.httpStatusCode === undefined || metadata.httpStatusCode >= 500);
}

/**
 * A transaction DynamoDB cancelled because other requests held its items (after our own retries, e.g.
 * `transactWithRetry`): busy, not wrong, so a retry may pass. A failed condition is not this.
 */
function cancelledOnlyByConflicts(error: Error): boolean {
  if (error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  const codes = reasons.map((reason) => reason.Code ?? 'None');
  return codes.includes('TransactionConflict') && codes.every((code) => CONFLICT_OR_NONE.has(code));
}
const CONFLICT_OR_NONE = new Set(['TransactionConflict', 'None']);

function shape(error: unknown): ShapedError {
  if (isDependencyFailure(error)) {
    return {
      status: 503,
      body: {
        error: {
          code: 'dependency_unavailable',
          message: 'A storage or mail service did not answer; try again.',
        },
      },
    };
  }
  // An `internal` error (a stored item that does not read, shared/errors.ts) says what is wrong inside:
  // it is logged below, and the caller gets the generic 500.
  if (error instanceof AppError && error.kind !== 'internal') {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details?.length) body.error.details = error.details;
    return { status: statusOfKind[error.kind], body };
  }
  if (error instanceof HTTPException && error.status < 500) {
    const status = error.status as ContentfulStatusCode;
    return {
      status,
      body: {
        error: { code: codeOfStatus[status] ?? 'bad_request', message: error.message || 'Bad request.' },
      },
    };
  }
  return {
    status: 500,
    body: {
      error: { code: 'internal_error', message: 'Something went wrong on our side; try again later.' },
    },
  };
}

function respond(c: Context<AppEnv>, shaped: ShapedError): Response | Promise<Response> {
  if (c.get('humanFacing')) {
    const locale = c.get('locale') ?? 'en';
    const m = errorPageMessagesFor(locale);
    const title = m.titles[shaped.status] ?? m.titles.default;
    const details = shaped.body.error.details ?? [];
    const page = htmlPage({
      title,
      lang: locale,
      body: html`<h1>${title}</h1>
${
  details.length > 0
    ? html`<p>${m.invalidInput}</p>
<ul>${details.map((detail) => html`<li>${detail.path.replace(/^body\./, '')}: ${detail.message}</li>`)}</ul>`
    : html`<p>${m.sentence(shaped.body.error.code, shaped.body.error.message)}</p>`
}
<p class="code">${m.reference}: ${c.get('requestId')} (${shaped.body.error.code})</p>`,
    });
    return c.html(page, shaped.status);
  }
  return c.json(shaped.body, shaped.status);
}

export function handleError(error: unknown, c: Context<AppEnv>): Response | Promise<Response> {
  const shaped = shape(error);
  const logger = c.get('logger');
  if (shaped.status >= 500) {
    logger?.error('request failed', { error, path: c.req.path, method: c.req.method });
  } else {
    logger?.info('request refused', {
      status: shaped.status,
      code: shaped.body.error.code,
      path: c.req.path,
    });
  }
  return respond(c, shaped);
}

export function handleNotFound(c: Context<AppEnv>): Response | Promise<Response> {
  pageIfBrowserAsks(c);
  return respond(c, {
    status: 404,
    body: { error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } },
  });
}
