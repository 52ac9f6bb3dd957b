import { randomUUID } from 'node:crypto';
import type { Locale } from '../../shared/i18n/locales';
import type { BrowserSession } from './browser-session';
import { recordsOf } from './consent-fixtures';
import { mailMatching, type SentMail } from './sent-mail';

/**
 * Set-up for browser tests through the served app over HTTP, as a signup backend and the operator's
 * backend would call it; the flows under test then start from what lands in the mailbox.
 */

/** The admin API with the development key, over HTTP. */
export async function adminCall(session: BrowserSession, method: string, path: string, body?: unknown) {
  const response = await fetch(`${session.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${session.runtime.config.adminApiKey}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * A POST as a signup backend makes it: a 503 means "a dependency did not answer, try again" (the API's
 * contract), so it is retried, as a backend would, a few times.
 */
async function post(url: string, contentType: string, body: string): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
    if (response.status !== 503 || attempt === 3) return response;
    await response.body?.cancel();
  }
}

/** Someone who signed up (JSON) and confirmed (the button's POST), in `locale`. */
export async function givenSubscriber(
  session: BrowserSession,
  options: { lists: string[]; locale: Locale; label?: string },
) {
  const email = `${options.label ?? 'reader'}-${randomUUID()}@example.org`;
  const signup = await post(
    `${session.origin}/v1/subscribe`,
    'application/json',
    JSON.stringify({ email, name: 'Ada', lists: options.lists, locale: options.locale }),
  );
  if (signup.status !== 202) throw new Error(`Signup answered ${signup.status}`);
  const confirmation = await mailMatching(email, (mail) => (mail.body.text ?? '').includes('/v1/confirm?'));
  const token = /\/v1\/confirm\?token=([\w.-]+)/.exec(confirmation.body.text ?? '')?.[1] ?? '';
  const confirmed = await post(
    `${session.origin}/v1/confirm`,
    'application/x-www-form-urlencoded',
    new URLSearchParams({ token }).toString(),
  );
  if (confirmed.status !== 200) throw new Error(`Confirmation answered ${confirmed.status}`);
  const contactId = (await recordsOf(session.runtime, email))?.contact.contactId ?? '';
  return { email, contactId };
}

/** A marketing email sent through the admin API (`sendMessage`), as it reached the mailbox. */
export async function givenMarketingEmail(
  session: BrowserSession,
  to: { email: string; contactId: string },
  listId: string,
  options: { advertisement?: boolean; subject?: string } = {},
): Promise<SentMail> {
  const subject = options.subject ?? `News ${randomUUID().slice(0, 8)}`;
  const sent = await adminCall(session, 'POST', '/admin/v1/messages', {
    contactId: to.contactId,
    kind: 'marketing',
    listId,
    subject,
    html: '<h1>This week</h1><p>Our best reads of the week.</p>',
    text: 'This week\n\nOur best reads of the week.',
    ...(options.advertisement === undefined ? {} : { advertisement: options.advertisement }),
  });
  if (sent.status >= 300)
    throw new Error(`sendMessage answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  return mailMatching(to.email, (mail) => mail.subject === subject);
}
