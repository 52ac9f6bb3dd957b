import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type InboundMailDependencies,
  type InboundMailEvent,
  inboundMailDependencies,
  processInboundMail,
} from '../../functions/inbound-mail/process-inbound-mail';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { unsubscribeLinks } from '../../shared/email/unsubscribe-links';
import { hashEmail } from '../../shared/email-address';
import { createLogger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { bundledHandler } from '../support/bundled-handler';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime, testEnvironment } from '../support/test-runtime';

/**
 * The inbound-mail Lambda against DynamoDB Local, fed events derived from AWS's documented Lambda-action
 * example (test/fixtures/ses-receipt): `{{sender}}` is the local part of the sender's address and
 * `{{token}}` the token our mailto puts in the subject.
 */

type Fixture =
  | 'aws-lambda-action-example'
  | 'mailto-token'
  | 'mailto-token-virus'
  | 'reply-unsubscribe'
  | 'reply-desinscrire-dkim-only'
  | 'reply-unsubscribe-unauthenticated'
  | 'reply-unsubscribe-dmarc-fail'
  | 'reply-unsubscribe-spf-fail-dkim-pass'
  | 'reply-unsubscribe-dkim-other-domain'
  | 'reply-to-question'
  | 'reply-to-unsubscribe';

function sesEvent(
  name: Fixture,
  values: { sender?: string; token?: string; replyTo?: string } = {},
): InboundMailEvent {
  const text = readFileSync(new URL(`../fixtures/ses-receipt/${name}.json`, import.meta.url), 'utf8');
  return JSON.parse(
    text
      .replaceAll('{{sender}}', values.sender ?? 'nobody')
      .replaceAll('{{token}}', values.token ?? '')
      .replaceAll('{{replyTo}}', values.replyTo ?? 'nobody@example.com'),
  ) as InboundMailEvent;
}

const sesMessageIdOf = (event: InboundMailEvent) => event.Records[0]?.ses?.mail?.messageId;
const SENDER_REASON = 'reply "unsubscribe" from an authenticated sender';

describe('inbound mail: unsubscribe by reply', () => {
  const environment = testEnvironment({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  let logLines: string[];
  let deps: InboundMailDependencies;

  beforeAll(async () => {
    runtime = await createTestRuntime(environment);
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'product-updates' });
    logLines = [];
    deps = {
      ...inboundMailDependencies(runtime),
      logger: createLogger({ level: 'debug', service: 'inbound-mail', write: (line) => logLines.push(line) }),
    };
  });
  afterAll(async () => streamReader.stop());

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** Signs a person up to `lists` and confirms, through the public app, as a reader would. */
  async function subscribedReader(lists = ['weekly-news', 'product-updates']) {
    const local = `reader-${randomUUID()}`;
    const email = `${local}@example.com`;
    const app = publicAppFor(runtime);
    const signup = await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists }),
    });
    await untilRequestsProcessed(runtime);
    expect(signup.status).toBe(202);
    const token = /confirm\?token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    const confirmed = await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    const records = await recordsOf(runtime, email);
    for (const listId of lists) expect(records?.subscriptions.get(listId)?.status).toBe('confirmed');
    return { local, email, contactId: records?.contact.contactId ?? '' };
  }

  /** The subject a mail client fills in from the `List-Unsubscribe` mailto of one of our emails. */
  function mailtoToken(target: {
    contactId: string;
    listId: string;
    messageId?: string;
    campaignId?: string;
  }) {
    const links = unsubscribeLinks(
      {
        baseUrl: runtime.config.baseUrl,
        unsubscribeMailbox: runtime.config.sender.unsubscribeMailbox,
        tokens: createTokenSigner(runtime.config.signingKeys),
      },
      target,
    );
    const mailto = new URL(links.mailto);
    expect(mailto.pathname).toBe('unsubscribe@example.com');
    const subject = mailto.searchParams.get('subject') ?? '';
    expect(subject).toMatch(/^unsubscribe \S+$/);
    return subject.slice('unsubscribe '.length);
  }

  it("changes nothing for AWS's example event as documented (subject 'This is a test')", async () => {
    const before = await countItems(runtime);
    expect(await processInboundMail(deps, sesEvent('aws-lambda-action-example'))).toEqual({
      outcomes: [{ kind: 'ignored', reason: 'no-instruction' }],
      forwarded: 0,
    });
    expect(await countItems(runtime)).toBe(before);
  });

  describe('with the token from our mailto', () => {
    it('unsubscribes from that list only and records the reply with the message and campaign', async () => {
      const reader = await subscribedReader();
      const token = mailtoToken({
        contactId: reader.contactId,
        listId: 'weekly-news',
        messageId: 'msg_01',
        campaignId: 'spring-sale',
      });
      const reply = sesEvent('mailto-token', { sender: reader.local, token });
      const summary = await processInboundMail(deps, reply);
      expect(summary.outcomes).toEqual([
        { kind: 'unsubscribed', via: 'token', contactId: reader.contactId, lists: ['weekly-news'] },
      ]);

      const records = await recordsOf(runtime, reader.email);
      const event = records?.events.at(-1);
      expect(event).toMatchObject({
        kind: 'unsubscribed',
        method: 'reply-email',
        legalBasis: 'consent',
        listId: 'weekly-news',
      });
      expect(event?.evidence).toEqual({
        source: 'reply-email',
        messageId: 'msg_01',
        campaignId: 'spring-sale',
        inboundMessageId: sesMessageIdOf(reply),
      });
      expect(records?.subscriptions.get('weekly-news')).toMatchObject({
        status: 'unsubscribed',
        lastEventId: event?.eventId,
      });
      expect(records?.subscriptions.get('product-updates')?.status).toBe('confirmed');
      expect(records?.contact.marketingOptOut).toBe(false);
    });

    it("records the reply's SES message id apart from the id of the message we sent", async () => {
      const reader = await subscribedReader(['weekly-news']);
      const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
      const event = sesEvent('mailto-token', { sender: reader.local, token });
      await processInboundMail(deps, event);
      const records = await recordsOf(runtime, reader.email);
      expect(records?.events.at(-1)?.evidence).toEqual({
        source: 'reply-email',
        inboundMessageId: sesMessageIdOf(event),
      });
    });

    it('works whoever sent it and whatever the verdicts, as long as the token is genuine', async () => {
      const reader = await subscribedReader(['weekly-news']);
      const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
      const event = sesEvent('reply-unsubscribe-unauthenticated', { sender: 'someone-else' });
      const mail = event.Records[0]?.ses?.mail;
      if (mail?.commonHeaders) mail.commonHeaders.subject = `RE: unsubscribe ${token}`;
      const summary = await processInboundMail(deps, event);
      expect(summary.outcomes[0]).toMatchObject({ kind: 'unsubscribed', via: 'token' });
      expect((await recordsOf(runtime, reader.email))?.subscriptions.get('weekly-news')?.status).toBe(
        'unsubscribed',
      );
    });

    it('records nothing the second time the same mail is processed (SES or Lambda retries)', async () => {
      const reader = await subscribedReader();
      const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news', messageId: 'msg_02' });
      const event = sesEvent('mailto-token', { sender: reader.local, token });
      await processInboundMail(deps, event);
      const eventsAfterFirst = (await recordsOf(runtime, reader.email))?.events.length;
      const before = await countItems(runtime);
      expect(await processInboundMail(deps, event)).toEqual({
        outcomes: [{ kind: 'already-unsubscribed', via: 'token', contactId: reader.contactId }],
        forwarded: 0,
      });
      expect(await countItems(runtime)).toBe(before);
      expect((await recordsOf(runtime, reader.email))?.events.length).toBe(eventsAfterFirst);
    });

    it('changes nothing for forged, truncated, wrong-purpose or foreign-key tokens', async () => {
      const reader = await subscribedReader();
      const genuine = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
      const [keyId, , mac] = genuine.split('.');
      const forgedPayload = Buffer.from(
        JSON.stringify({ d: { contactId: reader.contactId, listId: 'product-updates' } }),
      ).toString('base64url');
      const candidates = [
        `${keyId}.${forgedPayload}.${mac}`,
        genuine.slice(0, -6),
        createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId: reader.contactId }),
        createTokenSigner({
          activeKeyId: keyId ?? 'dev1',
          keys: new Map([[keyId ?? 'dev1', Buffer.alloc(32, 7)]]),
        }).sign('unsubscribe', { contactId: reader.contactId, listId: 'weekly-news' }),
      ];
      const before = await countItems(runtime);
      for (const token of candidates) {
        const summary = await processInboundMail(
          deps,
          sesEvent('mailto-token', { sender: reader.local, token }),
        );
        expect(summary.outcomes, token).toEqual([{ kind: 'invalid-token', reason: expect.any(String) }]);
      }
      expect(await countItems(runtime)).toBe(before);
      const records = await recordsOf(runtime, reader.email);
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
      expect(records?.subscriptions.get('product-updates')?.status).toBe('confirmed');
    });

    it('changes nothing when SES found a virus, even with a genuine token', async () => {
      const reader = await subscribedReader(['weekly-news']);
      const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
      const before = await countItems(runtime);
      expect(
        await processInboundMail(deps, sesEvent('mailto-token-virus', { sender: reader.local, token })),
      ).toEqual({ outcomes: [{ kind: 'ignored', reason: 'virus' }], forwarded: 0 });
      expect(await countItems(runtime)).toBe(before);
    });
  });

  describe('with a bare "unsubscribe" from the sender', () => {
    it('unsubscribes an authenticated sender from all marketing (BATV-tagged envelope, as in AWS example)', async () => {
      const reader = await subscribedReader();
      const event = sesEvent('reply-unsubscribe', { sender: reader.local });
      expect(event.Records[0]?.ses?.mail?.source).toBe(`prvs=144d0cba7=${reader.email}`);
      const summary = await processInboundMail(deps, event);
      expect(summary.outcomes).toEqual([
        {
          kind: 'unsubscribed',
          via: 'sender',
          contactId: reader.contactId,
          lists: expect.arrayContaining(['weekly-news', 'product-updates']),
        },
      ]);

      const records = await recordsOf(runtime, reader.email);
      expect(records?.contact.marketingOptOut).toBe(true);
      expect([...(records?.subscriptions.values() ?? [])].map((subscription) => subscription.status)).toEqual(
        ['unsubscribed', 'unsubscribed'],
      );
      const withdrawals = records?.events.filter((entry) => entry.kind === 'unsubscribed') ?? [];
      expect(withdrawals.map((entry) => entry.listId).sort()).toEqual([
        null,
        'product-updates',
        'weekly-news',
      ]);
      for (const withdrawal of withdrawals) expect(withdrawal.method).toBe('reply-email');
      expect(withdrawals.find((entry) => entry.listId === 'weekly-news')?.evidence).toEqual({
        reason: SENDER_REASON,
        source: 'reply-email',
        inboundMessageId: sesMessageIdOf(event),
      });
    });

    it('records nothing the second time', async () => {
      const reader = await subscribedReader();
      const event = sesEvent('reply-unsubscribe', { sender: reader.local });
      await processInboundMail(deps, event);
      const before = await countItems(runtime);
      expect(await processInboundMail(deps, event)).toEqual({
        outcomes: [{ kind: 'already-unsubscribed', via: 'sender', contactId: reader.contactId }],
        forwarded: 0,
      });
      expect(await countItems(runtime)).toBe(before);
    });

    it('accepts the French word when only DKIM passed (the domain publishes no SPF record)', async () => {
      const reader = await subscribedReader();
      const summary = await processInboundMail(
        deps,
        sesEvent('reply-desinscrire-dkim-only', { sender: reader.local }),
      );
      expect(summary.outcomes[0]).toMatchObject({ kind: 'unsubscribed', via: 'sender' });
      const records = await recordsOf(runtime, reader.email);
      expect(records?.contact.marketingOptOut).toBe(true);
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
      expect(records?.subscriptions.get('product-updates')?.status).toBe('unsubscribed');
    });

    it.each([
      ['neither SPF nor DKIM passed', 'reply-unsubscribe-unauthenticated'],
      ['DMARC failed', 'reply-unsubscribe-dmarc-fail'],
      [
        'SPF failed on a domain without DMARC, even with DKIM passing',
        'reply-unsubscribe-spf-fail-dkim-pass',
      ],
      [
        "only DKIM passed, for a domain other than the sender's (no SPF record, no DMARC)",
        'reply-unsubscribe-dkim-other-domain',
      ],
    ] as const)('changes nothing when %s', async (_, fixture) => {
      const reader = await subscribedReader();
      const before = await countItems(runtime);
      expect(await processInboundMail(deps, sesEvent(fixture, { sender: reader.local }))).toEqual({
        outcomes: [{ kind: 'ignored', reason: 'unauthenticated-sender' }],
        forwarded: 0,
      });
      expect(await countItems(runtime)).toBe(before);
      const records = await recordsOf(runtime, reader.email);
      expect(records?.contact.marketingOptOut).toBe(false);
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
    });

    it('keeps the opt-out of an address we do not hold: an import later holds it, the person may still sign up', async () => {
      const local = `stranger-${randomUUID()}`;
      const email = `${local}@example.com`;
      const event = sesEvent('reply-unsubscribe', { sender: local });
      expect(await processInboundMail(deps, event)).toEqual({
        outcomes: [{ kind: 'address-suppressed', via: 'sender', result: 'suppressed' }],
        forwarded: 0,
      });
      const emailHash = hashEmail(runtime.config.emailHashSecret, email);
      expect(await findSuppression(accessOf(runtime), emailHash)).toMatchObject({
        reason: 'unsubscribed',
        scope: 'marketing',
        sourceEventId: `inbound:${sesMessageIdOf(event)}`,
      });
      // SES or Lambda delivering the event again records nothing more.
      const items = await countItems(runtime);
      expect((await processInboundMail(deps, event)).outcomes).toEqual([
        { kind: 'address-suppressed', via: 'sender', result: 'already-suppressed' },
      ]);
      expect(await countItems(runtime)).toBe(items);

      // The operator's CRM import, with opt-in evidence from before: held until the person confirms.
      const optIn = { at: '2024-03-01T10:00:00Z', source: 'https://crm.example.com/', consentTextVersion: 1 };
      const imported = await adminRequest(runtime, '/admin/v1/contacts', {
        method: 'POST',
        body: JSON.stringify({ email, lists: [{ listId: 'weekly-news', optIn }] }),
      });
      expect(imported.status).toBe(201);
      expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unconfirmed');

      // The person subscribes again themselves: double opt-in, and their confirmation lifts the opt-out.
      const app = publicAppFor(runtime);
      await app.request('/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, lists: ['weekly-news'] }),
      });
      await untilRequestsProcessed(runtime);
      const mail = await sentMailTo(email);
      const token = /confirm\?token=([\w.-]+)/.exec(mail.at(-1)?.body.text ?? '')?.[1] ?? '';
      const confirmed = await app.request('/v1/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(confirmed.status).toBe(200);
      const records = await recordsOf(runtime, email);
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
      expect(await findSuppression(accessOf(runtime), emailHash)).toBeUndefined();
      expect(records?.events.map((each) => each.kind)).toContain('suppression-lifted');
    });
  });

  it('never logs an address or a token, only a truncated keyed hash of the sender', async () => {
    const reader = await subscribedReader(['weekly-news']);
    const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
    logLines.length = 0;
    await processInboundMail(deps, sesEvent('mailto-token', { sender: reader.local, token }));
    await processInboundMail(deps, sesEvent('mailto-token', { sender: reader.local, token: `${token}x` }));
    await processInboundMail(deps, sesEvent('reply-unsubscribe', { sender: reader.local }));
    await processInboundMail(deps, sesEvent('reply-unsubscribe', { sender: `stranger-${randomUUID()}` }));
    const logs = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(4);
    expect(logs).not.toContain(reader.local);
    expect(logs).not.toContain('@');
    expect(logs).not.toContain(token.split('.')[1]);
    expect(logs).toContain(hashEmail(runtime.config.emailHashSecret, reader.email).slice(0, 16));
  });

  it('the bundled Lambda handler builds its dependencies from the environment and lets SES continue', async () => {
    type Handler = typeof import('../../functions/inbound-mail/handler')['handler'];
    // Bundled as `cdk synth` bundles it (test/support/bundled-handler.ts).
    const handler = await bundledHandler<Handler>('inbound-mail', environment);
    const reader = await subscribedReader(['weekly-news']);
    const token = mailtoToken({ contactId: reader.contactId, listId: 'weekly-news' });
    const event = sesEvent('mailto-token', { sender: reader.local, token });
    expect(await handler(event as Parameters<typeof handler>[0])).toEqual({ disposition: 'CONTINUE' });
    expect((await recordsOf(runtime, reader.email))?.subscriptions.get('weekly-news')?.status).toBe(
      'unsubscribed',
    );
    expect(await handler(sesEvent('aws-lambda-action-example') as Parameters<typeof handler>[0])).toEqual({
      disposition: 'CONTINUE',
    });
    // Only DKIM vouches for this sender: the public suffix list, a chunk of its own, is loaded now.
    const dkimOnly = await subscribedReader(['weekly-news']);
    const reply = sesEvent('reply-desinscrire-dkim-only', { sender: dkimOnly.local });
    expect(await handler(reply as Parameters<typeof handler>[0])).toEqual({ disposition: 'CONTINUE' });
    expect((await recordsOf(runtime, dkimOnly.email))?.contact.marketingOptOut).toBe(true);
  });

  describe('replies to the reply-to address: an unsubscribe honoured, anything else forwarded', () => {
    const operator = `operator-${randomUUID()}@example.org`;
    const stored: string[] = [];
    let replies: InboundMailDependencies;

    beforeAll(() => {
      // The S3 copy the receipt rule's first action made, stood in by the fixture message; SES is the emulator.
      replies = {
        ...deps,
        replies: {
          replyTo: runtime.config.sender.replyTo,
          forwardTo: operator,
          from: runtime.config.sender.fromAddress,
          ses: runtime.clients.ses,
          stored: {
            async read(sesMessageId) {
              stored.push(sesMessageId);
              const eml = readFileSync(
                new URL('../fixtures/ses-receipt/reply-to-question.eml', import.meta.url),
              );
              return Buffer.from(
                eml
                  .toString('utf8')
                  .replaceAll('{{sender}}', 'john')
                  .replaceAll('{{replyTo}}', runtime.config.sender.replyTo),
                'utf8',
              );
            },
          },
        },
      };
    });

    const toReplyTo = (name: Fixture, sender: string) =>
      sesEvent(name, { sender, replyTo: runtime.config.sender.replyTo });

    it('forwards a person’s question, whole, to the operator, answerable to the person', async () => {
      const before = await countItems(runtime);
      const event = toReplyTo('reply-to-question', 'john');
      const summary = await processInboundMail(replies, event);
      expect(summary).toEqual({ outcomes: [{ kind: 'ignored', reason: 'no-instruction' }], forwarded: 1 });
      expect(stored).toContain(sesMessageIdOf(event));
      const [mail, ...more] = await sentMailTo(operator);
      expect(more).toEqual([]);
      expect(mail?.subject).toBe('Re: Spring newsletter');
      expect(mail?.from).toContain(runtime.config.sender.fromAddress);
      expect(mail?.replyTo.join(' ')).toContain('john@example.com');
      expect(mail?.body.text).toContain('orders from Québec');
      expect(await countItems(runtime)).toBe(before);
    });

    it('honours "unsubscribe" from a known, authenticated sender and forwards nothing', async () => {
      const reader = await subscribedReader();
      const before = (await sentMailTo(operator)).length;
      const summary = await processInboundMail(replies, toReplyTo('reply-to-unsubscribe', reader.local));
      expect(summary.outcomes[0]).toMatchObject({ kind: 'unsubscribed', via: 'sender' });
      expect(summary.forwarded).toBe(0);
      expect((await recordsOf(runtime, reader.email))?.contact.marketingOptOut).toBe(true);
      expect(await sentMailTo(operator)).toHaveLength(before);
    });

    it('honours "unsubscribe" from an authenticated sender we do not hold, and forwards nothing', async () => {
      const summary = await processInboundMail(
        replies,
        toReplyTo('reply-to-unsubscribe', `stranger-${randomUUID()}`),
      );
      expect(summary).toEqual({
        outcomes: [{ kind: 'address-suppressed', via: 'sender', result: 'suppressed' }],
        forwarded: 0,
      });
    });

    it('never forwards mail to the unsubscribe mailbox', async () => {
      const summary = await processInboundMail(replies, sesEvent('aws-lambda-action-example'));
      expect(summary.forwarded).toBe(0);
    });
  });
});
