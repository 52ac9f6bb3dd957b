import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { recordConsentEvent } from '../../shared/consent/consent-changes';
import type { ConsentEventKind } from '../../shared/consent/consent-events';
import { hashEmail } from '../../shared/email-address';
import { outboundEventPublisher, publishOutboundEvents } from '../../shared/events/event-publisher';
import { type OutboundEvent, outboundEventTypes } from '../../shared/events/event-types';
import type { Runtime } from '../../shared/runtime';
import { putFeedbackSuppression } from '../../shared/suppressions/ses-feedback';
import { sweepWebhookDeliveries } from '../../shared/webhooks/webhook-delivery';
import { adminRequest, publicAppFor } from '../support/apps';
import { testCampaignRunner } from '../support/campaigns';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

type Json = Record<string, unknown>;

/** Polls until `check` holds, or fails the test after `deadlineMs` (never a fixed sleep). */
async function until<T>(
  what: string,
  probe: () => Promise<T> | T,
  check: (value: T) => boolean,
  deadlineMs = POLL_DEADLINE_MS,
) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the operator’s events, delivered to webhooks', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    await givenList(runtime, { listId: 'weekly-news' });
    streamReader = await testCampaignRunner(runtime);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await streamReader.stop();
    await receiver.close();
  });

  const admin = async (path: string, method = 'GET', body?: unknown) => {
    const response = await adminRequest(runtime, path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (response.status === 204 ? {} : await response.json()) as Json };
  };
  const createHook = async (path: string, eventTypes: readonly string[]) => {
    const created = await admin('/admin/v1/webhooks', 'POST', { url: receiver.url(path), eventTypes });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { webhook: { webhookId: string }; secret: string };
  };
  const deliveriesOf = async (webhookId: string, query = '') =>
    (await admin(`/admin/v1/webhooks/${webhookId}/deliveries${query}`)).body.deliveries as Json[];
  /** The sweep as the worker's minute rule runs it, at a time of the test's choosing (ms since epoch). */
  const sweepAtTime = (at: number) =>
    sweepWebhookDeliveries({
      access: accessOf(runtime),
      logger: runtime.logger,
      allowPrivateTargets: true,
      now: () => new Date(at),
    });
  /** The sweep `offsetMs` from now. */
  const sweepAt = (offsetMs: number) => sweepAtTime(Date.now() + offsetMs);
  /** A ledger event appended as the consent module appends one, in its own transaction. */
  const ledger = async (contactId: string, kind: ConsentEventKind, listId: string | null = null) => {
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
    recordConsentEvent(
      accessOf(runtime),
      items,
      { contactId, listId, kind, method: 'admin', legalBasis: 'consent', evidence: { apiKeyId: 'test' } },
      new Date(),
    );
    await runtime.clients.documents.send(new TransactWriteCommand({ TransactItems: items }));
  };

  /** Signup, confirmation and an admin unsubscribe, through the APIs. */
  async function subscribeAndLeave() {
    const email = `ada-${randomUUID()}@example.org`;
    const app = publicAppFor(runtime);
    const signup = await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    expect(signup.status).toBe(202);
    const mail = await until(
      'the confirmation email',
      () => sentMailTo(email),
      (sent) => sent.length > 0,
    );
    const token = /confirm\?token=([\w.-]+)/.exec(mail[0]?.body.text ?? '')?.[1] ?? '';
    const confirmed = await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const left = await admin(`/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', {
      listId: 'weekly-news',
    });
    expect(left.status).toBe(200);
    return { email, contactId };
  }

  /** An erasure answering a verified rights request, through the admin API. */
  async function eraseOnRequest(contactId: string) {
    const created = await admin('/admin/v1/rights-requests', 'POST', {
      kind: 'erasure',
      channel: 'email',
      jurisdiction: 'gdpr',
      requester: { type: 'person' },
      contactId,
    });
    expect(created.status).toBe(201);
    const id = String(created.body.rightsRequestId);
    const verified = await admin(`/admin/v1/rights-requests/${id}`, 'PATCH', {
      action: 'verify',
      method: 'matching-information',
    });
    expect(verified.status).toBe(200);
    const erased = await admin(`/admin/v1/contacts/${contactId}/erase?rightsRequestId=${id}`, 'POST');
    expect(erased.status).toBe(200);
  }

  it('delivers every event type once, signed, a failed first attempt included after its retry', async () => {
    const { webhook, secret } = await createHook('/all', outboundEventTypes);
    receiver.failNext('/all', 1);

    const person = await subscribeAndLeave();
    // A hard bounce, as the ses-events function writes it.
    await runtime.clients.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          putFeedbackSuppression(accessOf(runtime), {
            emailHash: hashEmail(runtime.config.emailHashSecret, person.email),
            reason: 'hard-bounce',
            createdAt: new Date().toISOString(),
            sourceEventId: 'ses-bounce-1',
            contactId: person.contactId,
            messageId: 'msg-bounced-1',
          }),
        ],
      }),
    );
    await eraseOnRequest(person.contactId);
    // The ledger kinds the flows above do not reach, appended as their own paths append them.
    const other = `contact-${randomUUID().slice(0, 8)}`;
    await ledger(other, 'subscribed', 'weekly-news');
    await ledger(other, 'imported', 'weekly-news');
    await ledger(other, 'resubscribed', 'weekly-news');
    await ledger(other, 'suppression-lifted', 'weekly-news');
    for (const kind of [
      'tracking-granted',
      'tracking-revoked',
      'sale-opted-out',
      'sale-opted-in',
      'email-changed',
      'account-holder-designated',
      'account-holder-ended',
      'account-deactivated',
      'account-reactivated',
    ] as const) {
      await ledger(other, kind);
    }

    // Every event but the one whose first attempt failed; that one waits for its retry.
    const expected = outboundEventTypes.length;
    await until(
      'all but one event',
      () => receiver.accepted('/all', secret),
      (events) => events.length === expected - 1,
    );
    const [failed] = await until(
      'the failed delivery',
      () => deliveriesOf(webhook.webhookId, '?status=pending'),
      (pending) => pending.length === 1 && pending[0]?.attempts === 1,
    );
    expect(failed).toMatchObject({ status: 'pending', lastResult: '500' });
    // Timed from the failed attempt, not from now: on a starved machine the other deliveries waited for
    // above can take longer than half a minute.
    const retryAt = Date.parse(String(failed?.nextAttemptAt));
    // The first retry waits a minute (the two times are read in one synchronous step, a few ms apart).
    const waited = retryAt - Date.parse(String(failed?.lastAttemptAt));
    expect(waited).toBeGreaterThan(59_000);
    expect(waited).toBeLessThanOrEqual(60_000);
    expect(await sweepAtTime(retryAt - 30_000)).toBe(0); // not due yet
    expect(await sweepAtTime(retryAt + 60_000)).toBe(1);

    const events = receiver.accepted('/all', secret);
    expect(events.map((event) => event.type).sort()).toEqual([...outboundEventTypes].sort());
    const retried = receiver.requests.filter((request) => request.headers['webhook-id'] === failed?.eventId);
    expect(retried.map((request) => request.status)).toEqual([500, 200]);
    expect(await deliveriesOf(webhook.webhookId, '?status=delivered')).toHaveLength(expected);
    // Opaque ids only: no address anywhere in what the receiver got.
    expect(receiver.requests.some((request) => request.body.includes(person.email))).toBe(false);
    const byType = Object.fromEntries(events.map((event) => [event.type, event]));
    expect(byType['subscription.unsubscribed']).toMatchObject({
      version: 1,
      data: { contactId: person.contactId, listId: 'weekly-news', method: 'admin', legalBasis: 'consent' },
    });
    expect(byType['contact.suppressed']).toMatchObject({
      data: { contactId: person.contactId, reason: 'hard-bounce', scope: 'all', messageId: 'msg-bounced-1' },
    });
    expect(byType['rights-request.completed']).toMatchObject({
      data: {
        kind: 'erasure',
        contactId: person.contactId,
        evidence: { erasureReceiptId: expect.any(String) },
      },
    });

    // The same stream record delivered again (a Lambda retry) offers the same event: nothing is sent twice.
    const sent = receiver.requests.length;
    const again = events[0] as unknown as OutboundEvent;
    await publishOutboundEvents({ publisher: outboundEventPublisher(runtime), logger: runtime.logger }, [
      { ok: true, event: again },
    ]);
    expect(receiver.requests.length).toBe(sent);

    expect((await admin(`/admin/v1/webhooks/${webhook.webhookId}`, 'DELETE')).status).toBe(204);
  });

  it('dead-letters a delivery still failing after a day, visible in listWebhookDeliveries', async () => {
    const { webhook, secret } = await createHook('/down', ['tracking.revoked']);
    receiver.alwaysFail('/down');
    await ledger(`contact-${randomUUID().slice(0, 8)}`, 'tracking-revoked');
    await until(
      'the first failed attempt',
      () => deliveriesOf(webhook.webhookId),
      (deliveries) => deliveries[0]?.attempts === 1,
    );
    expect(await sweepAt(3 * 3600_000)).toBe(1);
    expect((await deliveriesOf(webhook.webhookId))[0]).toMatchObject({ status: 'pending', attempts: 2 });
    expect(await sweepAt(25 * 3600_000)).toBe(1);
    const [dead] = await deliveriesOf(webhook.webhookId, '?status=dead');
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 3,
      lastResult: '500',
      eventType: 'tracking.revoked',
    });
    expect(dead?.deadAt).toEqual(expect.any(String));
    expect(dead?.event).toMatchObject({ type: 'tracking.revoked', id: dead?.eventId });
    expect(await deliveriesOf(webhook.webhookId, '?status=pending')).toEqual([]);
    expect(await sweepAt(26 * 3600_000)).toBe(0);
    expect(receiver.accepted('/down', secret)).toEqual([]);
  });
});
