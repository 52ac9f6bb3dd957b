import { inject } from 'vitest';

/** One email as the SES emulator stored it (`GET /store`). */
export interface SentMail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
  at: number;
}

/** Mail the emulator received for `to`; tests use unique addresses, so runs in parallel never mix. */
export async function sentMailTo(to: string): Promise<SentMail[]> {
  const response = await fetch(`${inject('sesEndpoint')}/store`);
  if (!response.ok) throw new Error(`The SES emulator answered ${response.status} to GET /store`);
  const store = (await response.json()) as { emails: SentMail[] };
  return store.emails.filter((mail) => mail.destination.to.includes(to));
}

/**
 * Mail for `to` once at least `count` emails have arrived, polling the emulator until `deadlineMs`: for
 * a test that waits on the mailbox itself (emails of signups and referrals leave from the table's stream,
 * after the answer). Throws, with what did arrive, when they do not.
 */
export async function mailArriving(to: string, count = 1, deadlineMs = 10_000): Promise<SentMail[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const mails = await sentMailTo(to);
    if (mails.length >= count) return mails;
    if (Date.now() > until) {
      throw new Error(`${mails.length} of ${count} emails arrived within ${deadlineMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The first email to `to` that `matches`, once the emulator has it: mail is sent from the request or from
 * the table's stream, so tests poll with a deadline rather than assume either.
 */
export async function mailMatching(
  to: string,
  matches: (mail: SentMail, index: number) => boolean = () => true,
  deadlineMs = 15_000,
): Promise<SentMail> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const found = (await sentMailTo(to)).find(matches);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`No matching email to ${to} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
