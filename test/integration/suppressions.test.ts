import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../shared/audit/audit-events';
import { hashEmail } from '../../shared/email-address';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { blockAddress } from '../../shared/suppressions/admin-suppressions';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, givenSuppression, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;
interface SuppressionJson extends Json {
  suppressionId: string;
  reason: string;
  email: string | null;
  note: string | null;
  contactId?: string | null;
}

/**
 * The operator's suppressions (docs/suppressions.md): block an address or a contact, list the suppression
 * list by reason, lift only its own blocks; every change audited.
 */
describe('suppressions through the admin API', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'sup-news' });
  });

  const call = async (path: string, method = 'GET', body?: unknown) => {
    const response = await adminRequest(runtime, path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const codeOf = (body: Json) => (body as unknown as ErrorBody).error.code;
  const address = (who = 'blocked') => `${who}-${randomUUID().slice(0, 8)}@example.org`;
  const idOf = (email: string) => hashEmail(runtime.config.emailHashSecret, email);

  /** A subscriber of sup-news imported with evidence, who can be sent marketing. */
  async function givenSubscriber() {
    const email = address('subscriber');
    const created = await call('/admin/v1/contacts', 'POST', {
      email,
      lists: [
        {
          listId: 'sup-news',
          optIn: { at: '2025-01-01T00:00:00Z', source: 'https://example.org/news', consentTextVersion: 1 },
        },
      ],
    });
    expect(created.status).toBe(201);
    return { email, contactId: (created.body.contact as { contactId: string }).contactId };
  }

  const sendNews = (email: string) =>
    sendMessage(sendDependenciesOf(runtime), {
      recipient: { email },
      draft: { kind: 'marketing', listId: 'sup-news', subject: 'News', text: 'The news of the week.' },
    });

  it('blocks a contact: nothing is sent to it any more, and a lift of the block lets mail through again', async () => {
    const subscriber = await givenSubscriber();
    const blocked = await call('/admin/v1/suppressions', 'POST', {
      contactId: subscriber.contactId,
      note: 'Asked us by phone never to write again.',
    });
    expect(blocked.status).toBe(201);
    expect(blocked.body).toMatchObject({
      suppressionId: idOf(subscriber.email),
      reason: 'admin',
      scope: 'all',
      email: subscriber.email,
      note: 'Asked us by phone never to write again.',
      createdBy: 'apiKey:development',
      contactId: subscriber.contactId,
    });
    expect((await sendNews(subscriber.email)).outcome).toBe('refused');
    // The block is on the contact's ledger, written with it; a second block (409) records nothing.
    const blockedEvent = {
      kind: 'suppressed',
      listId: null,
      method: 'admin',
      evidence: expect.objectContaining({ suppressionReason: 'admin', apiKeyId: 'development' }),
    };
    expect((await recordsOf(runtime, subscriber.email))?.events.at(-1)).toMatchObject(blockedEvent);
    const again = await call('/admin/v1/suppressions', 'POST', {
      contactId: subscriber.contactId,
      note: 'Again.',
    });
    expect(again.status).toBe(409);
    const kinds = (await recordsOf(runtime, subscriber.email))?.events.map((entry) => entry.kind);
    expect(kinds?.filter((kind) => kind === 'suppressed')).toHaveLength(1);

    const lifted = await call(`/admin/v1/suppressions/${idOf(subscriber.email)}`, 'DELETE');
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({ reason: 'admin', contactId: subscriber.contactId });
    expect(await findSuppression(accessOf(runtime), idOf(subscriber.email))).toBeUndefined();
    expect((await recordsOf(runtime, subscriber.email))?.events.at(-1)).toMatchObject({
      kind: 'suppression-lifted',
      method: 'admin',
      evidence: { apiKeyId: 'development', reason: 'the operator lifted its own block (admin)' },
    });
    expect((await sendNews(subscriber.email)).outcome).toBe('sent');
    expect(await sentMailTo(subscriber.email)).toHaveLength(1);
  });

  it('a contact created with the address while it is being blocked still gets the block on its ledger', async () => {
    const email = address('racing');
    const access = accessOf(runtime);
    let contactId = '';
    // Right after the block's read of who holds the address (nobody), the operator's CRM creates them.
    const documents = new Proxy(access.documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown) => {
          const answer = await target.send(command as never);
          if (contactId === '' && command instanceof GetCommand) {
            const created = await call('/admin/v1/contacts', 'POST', { email });
            contactId = (created.body.contact as { contactId: string }).contactId;
          }
          return answer;
        };
      },
    });
    const view = await blockAddress({ ...access, documents }, runtime.config.emailHashSecret, {
      target: { email },
      note: 'Blocked during an import.',
      createdBy: 'apiKey:development',
    });
    expect(contactId).not.toBe('');
    expect(view.contactId).toBe(contactId);
    expect((await recordsOf(runtime, email))?.events.filter((entry) => entry.kind === 'suppressed')).toEqual([
      expect.objectContaining({
        method: 'admin',
        evidence: expect.objectContaining({ suppressionReason: 'admin' }),
      }),
    ]);
  });

  it('blocks an address nobody holds yet, as signup would store it, and audits create and lift', async () => {
    const email = address('Stranger');
    const blocked = await call('/admin/v1/suppressions', 'POST', {
      email: ` ${email.replace('example.org', 'EXAMPLE.org')} `,
      note: 'Complained to our support desk.',
    });
    expect(blocked.status).toBe(201);
    expect(blocked.body).toMatchObject({ suppressionId: idOf(email), email, contactId: null });
    expect((await call(`/admin/v1/suppressions/${idOf(email)}`, 'DELETE')).status).toBe(200);

    const trail = await call(`/admin/v1/audit-events?targetType=suppression&targetId=${idOf(email)}`);
    expect((trail.body.events as AuditEvent[]).map((event) => [event.operation, event.keyId])).toEqual([
      ['deleteSuppression', 'development'],
      ['createSuppression', 'development'],
    ]);
    expect(JSON.stringify(trail.body)).not.toContain(email);
  });

  it('blocks over another reason, which stands beneath; refuses a second block (409), an unknown contact (422), bad input (400)', async () => {
    const bounced = address('bounced');
    await givenSuppression(runtime, bounced, 'hard-bounce');
    const over = await call('/admin/v1/suppressions', 'POST', { email: bounced, note: 'Block it too.' });
    expect(over.status).toBe(201);
    expect(over.body).toMatchObject({
      reason: 'admin',
      email: bounced,
      underlying: [{ reason: 'hard-bounce' }],
    });
    const again = await call('/admin/v1/suppressions', 'POST', { email: bounced, note: 'Once more.' });
    expect(again.status).toBe(409);
    expect(codeOf(again.body)).toBe('address_already_suppressed');
    expect(await findSuppression(accessOf(runtime), idOf(bounced))).toMatchObject({
      reason: 'admin',
      note: 'Block it too.',
      underlying: [expect.objectContaining({ reason: 'hard-bounce' })],
    });

    const twice = address('twice');
    expect((await call('/admin/v1/suppressions', 'POST', { email: twice, note: 'First.' })).status).toBe(201);
    expect((await call('/admin/v1/suppressions', 'POST', { email: twice, note: 'Second.' })).status).toBe(
      409,
    );

    const unknown = await call('/admin/v1/suppressions', 'POST', { contactId: 'nobody1234', note: 'Who?' });
    expect(unknown.status).toBe(422);
    expect(codeOf(unknown.body)).toBe('unknown_reference');
    for (const body of [
      { email: 'not an address', note: 'Bad address.' },
      { email: address(), contactId: 'nobody1234', note: 'Both.' },
      { email: address() },
      { email: address(), note: 'x' },
    ]) {
      expect((await call('/admin/v1/suppressions', 'POST', body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('never lifts a bounce, complaint, unsubscribe or erasure suppression (409), and 404s an unknown one', async () => {
    for (const reason of ['hard-bounce', 'soft-bounces', 'complaint', 'unsubscribed', 'erased'] as const) {
      const email = address(reason);
      await givenSuppression(runtime, email, reason);
      const refused = await call(`/admin/v1/suppressions/${idOf(email)}`, 'DELETE');
      expect(refused.status, reason).toBe(409);
      expect(codeOf(refused.body)).toBe('suppression_not_liftable');
      expect((await findSuppression(accessOf(runtime), idOf(email)))?.reason).toBe(reason);
    }
    expect((await call(`/admin/v1/suppressions/${idOf(address('none'))}`, 'DELETE')).status).toBe(404);
    expect((await call('/admin/v1/suppressions/not-a-hash', 'DELETE')).status).toBe(400);
  });

  it('lists newest first, by reason, page by page, with addresses only where the suppression holds one', async () => {
    const bounced = address('listed-bounce');
    await givenSuppression(runtime, bounced, 'hard-bounce');
    const first = address('listed-1');
    const second = address('listed-2');
    await call('/admin/v1/suppressions', 'POST', { email: first, note: 'One.' });
    await call('/admin/v1/suppressions', 'POST', { email: second, note: 'Two.' });

    const all = (await call('/admin/v1/suppressions?limit=500')).body.suppressions as SuppressionJson[];
    expect(all.find((entry) => entry.suppressionId === idOf(bounced))).toMatchObject({
      reason: 'hard-bounce',
      email: null,
      note: null,
    });
    const createdAt = all.map((entry) => String(entry.createdAt));
    expect(createdAt).toEqual([...createdAt].sort().reverse());

    const page1 = await call('/admin/v1/suppressions?reason=admin&limit=1');
    expect(page1.body.suppressions).toEqual([expect.objectContaining({ email: second, note: 'Two.' })]);
    const page2 = await call(`/admin/v1/suppressions?reason=admin&limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.suppressions).toEqual([expect.objectContaining({ email: first, reason: 'admin' })]);
    const admins = (await call('/admin/v1/suppressions?reason=admin&limit=500')).body
      .suppressions as SuppressionJson[];
    expect(admins.every((entry) => entry.reason === 'admin' && entry.email !== null)).toBe(true);
    expect((await call('/admin/v1/suppressions?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('a block follows the contact to a new address, and the old entry no longer holds the old address', async () => {
    const subscriber = await givenSubscriber();
    await call('/admin/v1/suppressions', 'POST', { contactId: subscriber.contactId, note: 'Block.' });
    const newEmail = address('moved');
    expect(
      (await call(`/admin/v1/contacts/${subscriber.contactId}`, 'PATCH', { email: newEmail })).status,
    ).toBe(202);
    const token =
      /email-change\?token=([\w.-]+)/.exec((await sentMailTo(newEmail))[0]?.body.text ?? '')?.[1] ?? '';
    const confirmed = await publicAppFor(runtime).request('/v1/email-change', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    const all = (await call('/admin/v1/suppressions?reason=admin&limit=500')).body
      .suppressions as SuppressionJson[];
    expect(all.find((entry) => entry.suppressionId === idOf(newEmail))).toMatchObject({
      email: newEmail,
      note: 'Block.',
    });
    expect(all.find((entry) => entry.suppressionId === idOf(subscriber.email))).toMatchObject({
      email: null,
    });
    expect(JSON.stringify(all)).not.toContain(subscriber.email);
    expect((await sendNews(newEmail)).outcome).toBe('refused');
  });

  it('an erased contact’s block stays but no longer holds the address or the note; the erasure stands beneath', async () => {
    const subscriber = await givenSubscriber();
    await call('/admin/v1/suppressions', 'POST', { contactId: subscriber.contactId, note: 'Block.' });
    expect((await call(`/admin/v1/contacts/${subscriber.contactId}/erase`, 'POST')).status).toBe(200);
    const all = (await call('/admin/v1/suppressions?limit=500')).body.suppressions as SuppressionJson[];
    expect(all.find((entry) => entry.suppressionId === idOf(subscriber.email))).toMatchObject({
      reason: 'admin',
      email: null,
      note: null,
      underlying: [{ reason: 'erased' }],
    });
    expect(JSON.stringify(all)).not.toContain(subscriber.email);
  });
});
