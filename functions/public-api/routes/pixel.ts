import type { Context } from 'hono';
import { withinDeadline } from '../../../shared/deadline';
import type { AppEnv } from '../../../shared/http/app-env';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { requestEvidence } from '../../../shared/http/request-evidence';
import type { TokenSigner } from '../../../shared/tokens';
import { type OpenRecordingDependencies, recordOpen } from '../../../shared/tracking/record-open';
import { PIXEL_HEADERS, TRANSPARENT_GIF } from '../../../shared/tracking/transparent-gif';

/**
 * The open-tracking pixel (docs/tracking.md). Placed only in marketing email to recipients who allowed
 * tracking, on lists that track (docs/sending.md). Whatever happens, the answer is the same 200 with a
 * transparent GIF: a missing, forged or foreign token, an unknown or untracked message and a storage
 * failure are indistinguishable from outside, so the endpoint tells nobody anything, and a mail client
 * never shows a broken image. No redirect, no cookie.
 */

export interface PixelDependencies extends OpenRecordingDependencies {
  tokens: TokenSigner;
}

/**
 * How long the GIF waits for the open to be recorded. Recording takes one DynamoDB write of
 * milliseconds; when DynamoDB is slow or hung the GIF goes out anyway, within about a second, and the
 * recording finishes (or fails, bounded by the SDK's deadlines) on its own. Opens are best effort.
 */
export const PIXEL_RECORDING_DEADLINE_MS = 800;

const pixelRoute = defineRoute({
  method: 'get',
  path: '/v1/pixel',
  operationId: 'trackOpen',
  tags: ['Tracking'],
  summary: 'The open-tracking pixel (always a transparent 1×1 GIF)',
  description:
    'Records an open of a tracked marketing message, classified as human or machine ' +
    '(privacy proxies, security scanners, loads within seconds of sending). Always answers 200 with the ' +
    'same 43-byte transparent GIF and `Cache-Control: no-store`, whatever the token, within about a second ' +
    'whatever storage does. ' +
    '`HEAD` gets the same headers, no body, and records nothing.',
  // Declared by hand rather than with a zod query schema: no query string may ever turn into a 400.
  parameters: [
    {
      name: 'token',
      in: 'query',
      required: false,
      description: 'The signed `trackOpen` token (contact and message ids) from the email.',
      schema: { type: 'string' },
    },
  ],
  responses: {
    200: {
      description: 'A transparent 1×1 GIF, always.',
      headers: {
        'Cache-Control': { schema: { type: 'string', example: PIXEL_HEADERS['Cache-Control'] } },
        'Content-Length': { schema: { type: 'integer', example: TRANSPARENT_GIF.byteLength } },
      },
      // A plain schema object, not zod: serving the pixel loads no zod at all.
      content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } },
    },
  },
});

export function pixelRoutes(deps: PixelDependencies) {
  /** Never throws: a failure is logged (without the token), even one after the GIF went out. */
  const recordQuietly = async (c: Context<AppEnv>) => {
    const logger = c.get('logger');
    try {
      const token = c.req.query('token');
      if (token === undefined || token === '') return;
      const verified = deps.tokens.verify('trackOpen', token);
      if (!verified.ok) {
        logger.debug('pixel token refused', { reason: verified.reason });
        return;
      }
      const evidence = requestEvidence(c);
      const outcome = await recordOpen(deps, {
        contactId: verified.data.contactId,
        messageId: verified.data.messageId,
        mode: verified.data.mode ?? 'per-person',
        userAgent: evidence.userAgent,
        ip: evidence.ip,
        at: new Date(),
      });
      if (!outcome.recorded) {
        logger.debug('open not recorded', { messageId: verified.data.messageId, reason: outcome.reason });
      }
    } catch (error) {
      logger.warn('open not recorded: storage failed', { error });
    }
  };

  return createRouter().openapi(pixelRoute, async (c) => {
    // Hono answers HEAD with the GET handler and drops the body; a HEAD shows no image, so no open.
    if (c.req.method !== 'HEAD') {
      const recording = await withinDeadline(recordQuietly(c), PIXEL_RECORDING_DEADLINE_MS);
      if (!recording.done) {
        c.get('logger').warn('open not recorded in time: the GIF went out first', {
          deadlineMs: PIXEL_RECORDING_DEADLINE_MS,
        });
      }
    }
    return c.body(TRANSPARENT_GIF.slice(), 200, PIXEL_HEADERS);
  });
}
