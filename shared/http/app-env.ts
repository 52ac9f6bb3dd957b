import type { ApiPrincipal } from '../api-keys';
import type { Locale } from '../i18n/locales';
import type { Logger } from '../log';

/** Hono context variables every consent-mail app may set. */
export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set on routes people open in a browser: errors there render a friendly HTML page. */
    humanFacing?: boolean;
    /** The language of a human-facing page, chosen before anything can fail. */
    locale?: Locale;
    /** The admin API key the request was authenticated with (shared/http/require-api-key.ts). */
    principal?: ApiPrincipal;
    /** The request carried CloudFront's origin credential (shared/http/origin-credential.ts). */
    originVerified?: boolean;
  };
}
