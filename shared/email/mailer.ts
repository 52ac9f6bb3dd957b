import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { SenderIdentity } from '../config';

/**
 * Sends one composed email through SES v2 with our sender identity. Message tags carry our ids so SES
 * events (bounces, complaints) map back to our records; tag values allow only `[A-Za-z0-9_-]`.
 */

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  tags: Record<string, string>;
  headers?: { name: string; value: string }[];
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ sesMessageId: string }>;
}

/** `"Example Co" <news@example.com>`, with an RFC 2047 encoded word when the name is not plain ASCII. */
export function formatAddress(name: string, address: string): string {
  const display = /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
    : `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  return `${display} <${address}>`;
}

/**
 * `ses` may be a function giving the client: the runtime builds its SES clients on first use
 * (shared/aws-clients.ts), and a mailer made at start-up should not build one before its first email.
 */
export function createSesMailer(
  ses: SESv2Client | (() => SESv2Client),
  options: { sender: SenderIdentity; configurationSet: string | undefined },
): Mailer {
  const client = () => (typeof ses === 'function' ? ses() : ses);
  return {
    async send(email) {
      const { MessageId } = await client().send(
        new SendEmailCommand({
          FromEmailAddress: formatAddress(options.sender.fromName, options.sender.fromAddress),
          ReplyToAddresses: [options.sender.replyTo],
          Destination: { ToAddresses: [email.to] },
          ConfigurationSetName: options.configurationSet,
          EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: {
                Html: { Data: email.html, Charset: 'UTF-8' },
                Text: { Data: email.text, Charset: 'UTF-8' },
              },
              Headers: email.headers?.map(({ name, value }) => ({ Name: name, Value: value })),
            },
          },
        }),
      );
      return { sesMessageId: MessageId ?? '' };
    },
  };
}
