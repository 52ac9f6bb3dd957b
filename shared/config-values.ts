import * as z from 'zod/mini';
import { parseEmailAddress } from './email-address';
import { headerUnsafeCharacter } from './validation/rules';

/**
 * The formats of configuration values, as zod schemas over the environment's strings. Only config.ts
 * reads the environment; these say what a valid value looks like.
 *
 * Written with `zod/mini`, unlike the request and item schemas: the configuration is parsed in every
 * cold start before anything else, and mini brings only what it uses (~8 KB), where classic zod (~75-95 KB,
 * its methods on every schema) is then compiled at import by every function. Classic zod is loaded by
 * the code that first needs it (routes, item schemas), often in a chunk read on the first request.
 * The rules are validation/rules.ts's and email-address.ts's predicates, the same as the routes'.
 */

/** Sender values reach the From header and subjects: the one definition of header-safe text. */
export const headerSafeText = (what: string) =>
  z.string({ error: `is required (${what})` }).check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(200, 'must be at most 200 characters'),
    z.superRefine((value, ctx) => {
      const unsafe = headerUnsafeCharacter(value);
      if (unsafe === undefined) return;
      ctx.addIssue({
        code: 'custom',
        message: `must be one line without control characters, tabs or line breaks (found ${unsafe})`,
      });
    }),
  );

export const senderAddress = (what: string) =>
  z.pipe(
    z
      .string({ error: `must be an email address (${what})` })
      .check(z.maxLength(320, 'must be at most 254 characters')),
    z.transform((raw: string, ctx) => {
      const parsed = parseEmailAddress(raw);
      if (parsed.ok) return parsed.email;
      ctx.issues.push({ code: 'custom', message: parsed.reason, input: raw });
      return z.NEVER;
    }),
  );

export const optionalUrl = z.optional(z.url({ error: 'must be an absolute URL' }));

export const positiveInteger = (fallback: number, max: number) =>
  z._default(
    z.coerce
      .number({ error: 'must be a whole number' })
      .check(
        z.refine(Number.isInteger, 'must be a whole number'),
        z.minimum(1, 'must be at least 1'),
        z.maximum(max, `must be at most ${max}`),
      ),
    fallback,
  );

/** Comma-separated origins (`https://www.example.com`), normalised to `URL.origin`. */
export const originList = z.pipe(
  z._default(z.string(), ''),
  z.transform((raw: string, ctx) => {
    const origins: string[] = [];
    const refuse = (message: string) => {
      ctx.issues.push({ code: 'custom', message, input: raw });
      return z.NEVER;
    };
    for (const entry of raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        return refuse(`"${entry}" is not an origin like https://www.example.com`);
      }
      if (url.origin !== entry.replace(/\/$/, '') || !['https:', 'http:'].includes(url.protocol)) {
        return refuse(`"${entry}" must be a bare origin like https://www.example.com`);
      }
      origins.push(url.origin);
    }
    return origins;
  }),
);

/**
 * `kid:secret` pairs, comma separated; secrets are base64 or base64url and at least 32 bytes. Checked
 * against the active id by `keyringOf` (shared/signing-keyring.ts), the same rules as the secret's JSON.
 */
export const signingKeys = z.pipe(
  z.optional(z.string()),
  z.transform((raw: string | undefined) =>
    raw
      ?.split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((pair): [string, string] => {
        const separator = pair.indexOf(':');
        return separator > 0 ? [pair.slice(0, separator), pair.slice(separator + 1)] : ['', ''];
      }),
  ),
);

/** An optional name or id (a configuration set, a key id, a secret's id or ARN): not empty, at most `max`. */
export const optionalText = (max?: number) =>
  z.optional(
    z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        ...(max === undefined ? [] : [z.maxLength(max, `must be at most ${max} characters`)]),
      ),
  );
