import { randomUUID } from 'node:crypto';
import type { Runtime } from '../../shared/runtime';
import { publicAppFor } from './apps';
import { recordsOf } from './consent-fixtures';
import { untilRequestsProcessed } from './request-drain';
import { sentMailTo } from './sent-mail';

/**
 * Someone signed up to `listId` through the public API (double opt-in, the stream's confirmation email)
 * and confirmed from that email, as a reader does: a fresh address; their address and contact id.
 */
export async function givenConfirmedSignup(
  runtime: Runtime,
  listId: string,
  { trackingConsent, prefix = 'reader' }: { trackingConsent: boolean; prefix?: string },
): Promise<{ email: string; contactId: string }> {
  const email = `${prefix}-${randomUUID()}@example.org`;
  const app = publicAppFor(runtime);
  await app.request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists: [listId], trackingConsent }),
  });
  await untilRequestsProcessed(runtime);
  const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
  await app.request('/v1/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  const contactId = (await recordsOf(runtime, email))?.contact.contactId;
  if (contactId === undefined) throw new Error(`the signup of ${email} made no contact`);
  return { email, contactId };
}
