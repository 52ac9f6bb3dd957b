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
