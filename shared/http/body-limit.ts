import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from './app-env';
import { pageIfBrowserAsks } from './page-language';

/**
 * How large a request body each app reads (docs/security.md, "Bodies have a size limit"). A body with a
 * larger `Content-Length` is refused before a byte of it is read; one without (chunked) is read only up
 * to the limit. Either way the answer is 413 and no route runs.
 */

/** Public routes: the longest legitimate form (a 4,000-character referral note, percent-encoded) fits. */
export const PUBLIC_BODY_LIMIT_BYTES = 64 * 1024;

/** Admin routes: a 1,000-row import or a message's HTML and text parts; under Lambda's 6 MB payload. */
export const ADMIN_BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export function limitBodySize(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c: Context<AppEnv>) => {
      pageIfBrowserAsks(c);
      throw new HTTPException(413, {
        message: `The request body is larger than this endpoint accepts (${maxBytes} bytes).`,
      });
    },
  });
}
