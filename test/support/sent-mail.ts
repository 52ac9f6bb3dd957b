import { inject } from 'vitest';
import { POLL_DEADLINE_MS } from './poll-deadline';

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

/**
 * The emulator keeps every email of the run, bodies included, and `GET /store` answers them all: by the
 * last files that was thousands, fetched and parsed at every poll. Tests only look for mail sent by their
 * own file, so they ask for mail since the file started (`?since=`, in whole seconds, one second early);
 * test/support/per-file-setup.ts moves the mark before each file.
 */
let fileStartedAt = Math.floor(Date.now() / 1000) - 1;

export function readMailFromNowOn(now = Date.now()): void {
  fileStartedAt = Math.floor(now / 1000) - 1;
}

/** Every email the emulator received since this test file started. */
export async function mailOfThisFile(): Promise<SentMail[]> {
  const response = await fetch(`${inject('sesEndpoint')}/store?since=${fileStartedAt}`);
  if (!response.ok) throw new Error(`The SES emulator answered ${response.status} to GET /store`);
  return ((await response.json()) as { emails: SentMail[] }).emails;
}

/** Mail the emulator received for `to`; tests use unique addresses, so runs in parallel never mix. */
export async function sentMailTo(to: string): Promise<SentMail[]> {
  return (await mailOfThisFile()).filter((mail) => mail.destination.to.includes(to));
}

/**
 * Mail for `to` once at least `count` emails have arrived, polling the emulator until `deadlineMs`: for
 * a test that waits on the mailbox itself (emails of signups and referrals leave from the table's stream,
 * after the answer). Throws, with what did arrive, when they do not.
 */
export async function mailArriving(
  to: string,
  count = 1,
  deadlineMs = POLL_DEADLINE_MS,
): Promise<SentMail[]> {
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
  deadlineMs = POLL_DEADLINE_MS,
): Promise<SentMail> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const found = (await sentMailTo(to)).find(matches);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`No matching email to ${to} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
