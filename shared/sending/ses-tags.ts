/**
 * SES message tags. Their own module, apart from the compliance policy that applies them: the message
 * records and SES events key on a sanitised SES message id, and importing the policy for this one
 * function brought its HTML and text rules (html-to-text, htmlparser2, confusables) into every cold start.
 */

/** SES tag values allow `[A-Za-z0-9_-]` only, 256 characters at most. */
export function sanitiseTagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
}
