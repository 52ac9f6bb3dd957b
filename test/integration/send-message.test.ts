import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { keyOf, primaryKeyOf } from '../../shared/data-model';
import { visibleContent } from '../../shared/email/visible-text';
import { hashEmail } from '../../shared/email-address';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { createTokenSigner } from '../../shared/tokens';
import { adminAppFor, adminRequest, publicAppFor } from '../support/apps';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

describe('sending one message (sendMessage, getMessage)', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'tracked-news', trackingMode: 'per-person' });
  });
  afterAll(async () => streamReader.stop());

  const admin = (path: string, init: RequestInit = {}) => adminRequest(runtime, path, init);
  const send = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    admin('/admin/v1/messages', { method: 'POST', body: JSON.stringify(body), headers });

  /** Signs someone up through the public API and confirms them. */
  async function givenSubscriber(lists: string[], extra: Record<string, unknown> = {}) {
    const email = `reader-${randomUUID()}@example.org`;
    const app = publicAppFor(runtime);
    await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists, ...extra }),
    });
    await untilRequestsProcessed(runtime);
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    return { email, contactId };
  }

  async function makeAccountHolder(contactId: string, accountStatus: 'active' | 'deactivated' = 'active') {
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        UpdateExpression: 'SET accountHolder = :true, accountStatus = :status',
        ExpressionAttributeValues: { ':true': true, ':status': accountStatus },
      }),
    );
  }

  async function suppress(email: string, reason: string) {
    const createdAt = new Date().toISOString();
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt }),
          entity: 'suppression',
          emailHash,
          reason,
          scope: 'all',
          createdAt,
        },
      }),
    );
  }

  const lastMailTo = async (email: string) => (await sentMailTo(email)).at(-1);
  const header = (mail: Awaited<ReturnType<typeof lastMailTo>>, name: string) =>
    mail?.headers?.find((entry) => entry.name.toLowerCase() === name.toLowerCase())?.value;

  it('sends marketing with the RFC 8058 headers and a footer in both parts, and records it', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    const response = await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'This week: five things',
      html: '<html><body><p>Hello <b>reader</b></p></body></html>',
    });
    expect(response.status).toBe(202);
    const message = (await response.json()) as MessageRecord;
    expect(message).toMatchObject({
      status: 'sent',
      kind: 'marketing',
      listId: 'weekly-news',
      exemption: null,
    });

    const mail = await lastMailTo(email);
    expect(mail?.subject).toBe('This week: five things');
    expect(mail?.from).toBe(`"${runtime.config.sender.fromName}" <${runtime.config.sender.fromAddress}>`);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const listUnsubscribe = header(mail, 'List-Unsubscribe') ?? '';
    expect(listUnsubscribe).toMatch(
      /^<http:\/\/localhost:3000\/v1\/unsubscribe\?token=[\w.-]+>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20[\w.-]+>$/,
    );
    const token = /token=([\w.-]+)>/.exec(listUnsubscribe)?.[1] ?? '';
    expect(createTokenSigner(runtime.config.signingKeys).verify('unsubscribe', token)).toMatchObject({
      ok: true,
      data: { contactId, listId: 'weekly-news', messageId: message.messageId },
    });
    for (const part of [mail?.body.html ?? '', mail?.body.text ?? '']) {
      expect(part).toContain(runtime.config.sender.companyName);
      expect(part).toContain(runtime.config.sender.postalAddress);
      expect(part).toContain('/v1/unsubscribe?token=');
      expect(part).toContain('/v1/preferences?token=');
      expect(part).not.toMatch(/advertisement/i);
    }
    expect(mail?.body.text).toContain('Hello reader');

    const stored = (await (await admin(`/admin/v1/messages/${message.messageId}`)).json()) as MessageRecord;
    expect(stored).toMatchObject({
      messageId: message.messageId,
      contactId,
      status: 'sent',
      sesMessageId: mail?.messageId,
    });
    expect(stored.headers).toEqual([
      { name: 'From', value: mail?.from },
      { name: 'Reply-To', value: runtime.config.sender.replyTo },
      { name: 'Subject', value: 'This week: five things' },
      { name: 'List-Unsubscribe', value: listUnsubscribe },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
    // The item itself leaves out what the record repeats (shared/sending/stored-headers.ts).
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId: message.messageId }),
      }),
    );
    expect(((Item?.headers ?? []) as { name: string }[]).map((entry) => entry.name)).toEqual([
      'From',
      'Reply-To',
      'List-Unsubscribe',
    ]);
  });

  it('refuses with 422 and every reason, sends nothing, and keeps the refusal on record', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    const before = (await sentMailTo(email)).length;
    await publicAppFor(runtime).request(
      `/v1/unsubscribe?token=${createTokenSigner(runtime.config.signingKeys).sign('unsubscribe', { contactId, listId: 'weekly-news' })}`,
      {
        method: 'POST',
        body: 'List-Unsubscribe=One-Click',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    );
    const response = await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'RE: your order',
      text: 'Hi',
      headers: [{ name: 'List-Unsubscribe', value: '<https://elsewhere.example>' }],
    });
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('message_refused');
    expect(error.details?.map((detail) => detail.code).sort()).toEqual(
      ['deceptive_subject', 'reserved_header', 'unsubscribed'].sort(),
    );
    expect(await sentMailTo(email)).toHaveLength(before);
  });

  it('puts the footer after HTML that ends in an unclosed comment, where the reader sees it', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    const response = await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'Hello',
      html: '<p>Hi</p><!--',
    });
    expect(response.status).toBe(202);
    const html = (await lastMailTo(email))?.body.html ?? '';
    const visible = visibleContent(html).text;
    expect(visible).toMatch(
      /^Hi\nYou are receiving this email because you subscribed to The weekly-news newsletter\./,
    );
    expect(visible).toContain(runtime.config.sender.postalAddress);
    expect(html).not.toContain('<!--');
  });

  it('refuses HTML that would hide the footer with 422 footer_not_visible, and sends nothing', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    const before = (await sentMailTo(email)).length;
    const response = await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'Hello',
      html: '<html><body style="display:none"><p>Hi</p></body></html>',
    });
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('message_refused');
    expect(error.details).toEqual([expect.objectContaining({ code: 'footer_not_visible', path: 'html' })]);
    expect(await sentMailTo(email)).toHaveLength(before);
  });

  it('adds the advertisement notice when consent was not affirmative', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('subscription', { contactId, listId: 'weekly-news' }),
        UpdateExpression: 'SET affirmative = :false',
        ExpressionAttributeValues: { ':false': false },
      }),
    );
    await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'Spring news',
      text: 'Hello',
    });
    const mail = await lastMailTo(email);
    expect(mail?.body.text).toContain('This message is an advertisement.');
    expect(mail?.body.html).toContain('This message is an advertisement.');
  });

  it('places the open pixel only for recipients who allowed tracking, on lists that track', async () => {
    const tracked = await givenSubscriber(['tracked-news'], { trackingConsent: true });
    const untracked = await givenSubscriber(['tracked-news']);
    for (const person of [tracked, untracked]) {
      await send({
        contactId: person.contactId,
        kind: 'marketing',
        listId: 'tracked-news',
        subject: 'News',
        html: '<p>Hi</p>',
      });
    }
    expect((await lastMailTo(tracked.email))?.body.html).toMatch(
      /<img src="http:\/\/localhost:3000\/v1\/pixel\?token=[\w.-]+"[^>]*alt=""/,
    );
    expect((await lastMailTo(untracked.email))?.body.html).not.toContain('/v1/pixel');
  });

  it('sends the same email once for retries with one Idempotency-Key, and refuses the key for another body', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    const body = { contactId, kind: 'marketing', listId: 'weekly-news', subject: 'Once only', text: 'Hello' };
    const key = `retry-${randomUUID()}`;
    const before = (await sentMailTo(email)).length;
    const first = (await (await send(body, { 'idempotency-key': key })).json()) as MessageRecord;
    const second = await send(body, { 'idempotency-key': key });
    expect(second.status).toBe(202);
    expect(((await second.json()) as MessageRecord).messageId).toBe(first.messageId);
    expect(await sentMailTo(email)).toHaveLength(before + 1);
    const different = await send({ ...body, subject: 'Something else' }, { 'idempotency-key': key });
    expect(different.status).toBe(409);
    expect(((await different.json()) as ErrorBody).error.code).toBe('idempotency_key_reused');
  });

  it('delivers a service announcement to an account holder who left all marketing, and records the exemption', async () => {
    const { email, contactId } = await givenSubscriber(['weekly-news']);
    await makeAccountHolder(contactId);
    await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}/unsubscribe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allMarketing: true }),
    });
    const response = await send({
      contactId,
      kind: 'announcement',
      category: 'maintenance',
      subject: 'Planned maintenance on Sunday',
      text: 'The service will be unavailable from 02:00 to 03:00 UTC.',
    });
    expect(response.status).toBe(202);
    const message = (await response.json()) as MessageRecord;
    expect(message.exemption).toMatchObject({ type: 'service-announcement', category: 'maintenance' });
    const mail = await lastMailTo(email);
    expect(mail?.subject).toBe('Planned maintenance on Sunday');
    expect(header(mail, 'List-Unsubscribe')).toBeUndefined();
    expect(mail?.body.text).toContain(runtime.config.sender.postalAddress);
  });

  it('never sends an announcement to a hard-bounced address, and only security notices after a complaint', async () => {
    const bounced = await givenSubscriber(['weekly-news']);
    await makeAccountHolder(bounced.contactId);
    await suppress(bounced.email, 'hard-bounce');
    const refused = await send({
      contactId: bounced.contactId,
      kind: 'announcement',
      category: 'maintenance',
      subject: 'Maintenance',
      text: 'Sunday.',
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as ErrorBody).error.details?.map((detail) => detail.code)).toEqual([
      'suppressed',
    ]);

    const complained = await givenSubscriber(['weekly-news']);
    await makeAccountHolder(complained.contactId);
    await suppress(complained.email, 'complaint');
    const policy = await send({
      contactId: complained.contactId,
      kind: 'announcement',
      category: 'policy-change',
      subject: 'Our privacy policy changes',
      text: 'From 1 January.',
    });
    expect(policy.status).toBe(422);
    const security = await send({
      contactId: complained.contactId,
      kind: 'announcement',
      category: 'security-notice',
      subject: 'Security notice',
      text: 'We reset your password.',
    });
    expect(security.status).toBe(202);
  });

  it('refuses a promotional announcement unless overridden, and records the override', async () => {
    const { contactId } = await givenSubscriber(['weekly-news']);
    await makeAccountHolder(contactId);
    const draft = {
      contactId,
      kind: 'announcement',
      category: 'account',
      subject: 'Your plan: 20% off this month',
      text: 'Upgrade now.',
    };
    const refused = await send(draft);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as ErrorBody).error.details?.map((detail) => detail.code)).toEqual([
      'promotional_announcement',
    ]);
    const overridden = await send({
      ...draft,
      promotionalOverride: { reason: 'contractual price change notice required by law' },
    });
    expect(overridden.status).toBe(202);
    const message = (await overridden.json()) as MessageRecord;
    expect(message.exemption).toMatchObject({
      promotionalOverride: { reason: 'contractual price change notice required by law' },
    });
  });

  it('answers 400, not 404, for an address with a line break, and sends nothing', async () => {
    const { email } = await givenSubscriber(['weekly-news']);
    const before = (await sentMailTo(email)).length;
    for (const address of [
      `${email}\r\n`,
      `${email}\n`,
      `${email}\r\nBcc: x@example.org`,
      `${email}\u2028`,
    ]) {
      const response = await send({
        email: address,
        kind: 'marketing',
        listId: 'weekly-news',
        subject: 'Hi',
        text: 'x',
      });
      expect(response.status, JSON.stringify(address)).toBe(400);
      expect(((await response.json()) as ErrorBody).error).toMatchObject({
        code: 'validation_failed',
        details: [{ path: 'body.email', message: 'must not contain line breaks' }],
      });
    }
    const unknown = await send({
      email: 'nobody@example.org\r\n',
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'Hi',
      text: 'x',
    });
    expect(unknown.status).toBe(400);
    expect((await sentMailTo(email)).length).toBe(before);
    // The address itself, by contrast, is found and mailed.
    expect(
      (await send({ email, kind: 'marketing', listId: 'weekly-news', subject: 'Hi', text: 'x' })).status,
    ).toBe(202);
  });

  it('answers 404 erased, not a server error, for a message whose recipient was erased', async () => {
    const { contactId } = await givenSubscriber(['weekly-news']);
    const response = await send({
      contactId,
      kind: 'marketing',
      listId: 'weekly-news',
      subject: 'Before the erasure',
      text: 'Hello.',
    });
    const { messageId } = (await response.json()) as MessageRecord;
    expect((await admin(`/admin/v1/contacts/${contactId}/erase`, { method: 'POST' })).status).toBe(200);

    const answer = await admin(`/admin/v1/messages/${messageId}`);
    expect(answer.status).toBe(404);
    const body = (await answer.json()) as ErrorBody;
    expect(body.error.code).toBe('erased');
    expect(body.error.message).toContain('erased person');
  });

  it('answers 404 for an unknown recipient and 401 without a key', async () => {
    expect(
      (
        await send({
          contactId: 'nobody',
          kind: 'marketing',
          listId: 'weekly-news',
          subject: 'Hi',
          text: 'x',
        })
      ).status,
    ).toBe(404);
    const anonymous = await adminAppFor(runtime).request('/admin/v1/messages', {
      method: 'POST',
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });
});
