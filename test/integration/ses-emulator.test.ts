import { randomUUID } from 'node:crypto';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The harness every sending test relies on: mail sent with the SDK clients our runtime builds reaches
 * the SES emulator, and its headers and bodies can be read back from `GET /store`.
 */
describe('the local SES emulator', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  it('keeps custom headers and both bodies of what the runtime sends', async () => {
    const to = `reader-${randomUUID()}@example.org`;
    const { MessageId } = await runtime.clients.ses.send(
      new SendEmailCommand({
        FromEmailAddress: `"${runtime.config.sender.fromName}" <${runtime.config.sender.fromAddress}>`,
        Destination: { ToAddresses: [to] },
        ReplyToAddresses: [runtime.config.sender.replyTo],
        Content: {
          Simple: {
            Subject: { Data: 'Harness check' },
            Body: { Html: { Data: '<p>Hello</p>' }, Text: { Data: 'Hello' } },
            Headers: [{ Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' }],
          },
        },
      }),
    );
    const [mail, ...others] = await sentMailTo(to);
    expect(others).toEqual([]);
    expect(mail?.messageId).toBe(MessageId);
    expect(mail?.subject).toBe('Harness check');
    expect(mail?.replyTo).toEqual([runtime.config.sender.replyTo]);
    expect(mail?.body).toEqual({ html: '<p>Hello</p>', text: 'Hello' });
    expect(mail?.headers).toContainEqual({
      name: 'List-Unsubscribe-Post',
      value: 'List-Unsubscribe=One-Click',
    });
  });
});
