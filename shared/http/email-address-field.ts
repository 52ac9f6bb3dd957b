import * as z from 'zod';
import { parseEmailAddress } from '../email-address';

/**
 * A request field that holds one email address: refused with the reason (a 400 naming the field) unless
 * `parseEmailAddress` accepts it, and read as the canonical address. A route that looks a person up by
 * address must use it, or an address with a line break (`ada@example.com\r\n`) reads as "no such person"
 * (404) instead of what it is, bad input.
 */
export function emailAddressField() {
  return z
    .string({ error: 'is required' })
    .max(320)
    .transform((raw, ctx) => {
      const parsed = parseEmailAddress(raw);
      if (parsed.ok) return parsed.email;
      ctx.addIssue({ code: 'custom', message: parsed.reason });
      return z.NEVER;
    })
    .openapi({ type: 'string', format: 'email', example: 'ada@example.com' });
}
