import * as z from 'zod';
import { emailAddress, headerSafeText as headerSafe } from './validation/schemas';

/**
 * The formats of configuration values, as zod schemas over the environment's strings. Only config.ts
 * reads the environment; these say what a valid value looks like.
 */

/** Sender values reach the From header and subjects: the one definition of header-safe text. */
export const headerSafeText = (what: string) =>
  z.string({ error: `is required (${what})` }).pipe(headerSafe({ max: 200 }));

export const senderAddress = (what: string) =>
  z.string({ error: `must be an email address (${what})` }).pipe(emailAddress());

export const optionalUrl = z.url({ error: 'must be an absolute URL' }).optional();

export const positiveInteger = (fallback: number, max: number) =>
  z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(max).default(fallback);

/** Comma-separated origins (`https://www.example.com`), normalised to `URL.origin`. */
export const originList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const origins: string[] = [];
    for (const entry of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin like https://www.example.com` });
        return z.NEVER;
      }
      if (url.origin !== entry.replace(/\/$/, '') || !['https:', 'http:'].includes(url.protocol)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" must be a bare origin like https://www.example.com`,
        });
        return z.NEVER;
      }
      origins.push(url.origin);
    }
    return origins;
  });

/**
 * `kid:secret` pairs, comma separated; secrets are base64 or base64url and at least 32 bytes. Checked
 * against the active id by `keyringOf` (shared/signing-keyring.ts), the same rules as the secret's JSON.
 */
export const signingKeys = z
  .string()
  .optional()
  .transform((raw) =>
    raw
      ?.split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((pair): [string, string] => {
        const separator = pair.indexOf(':');
        return separator > 0 ? [pair.slice(0, separator), pair.slice(separator + 1)] : ['', ''];
      }),
  );
