import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { RightsRequest } from '../../shared/rights/rights-request-rules';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { adminRequest } from '../support/apps';
import { givenList, scanAllItems } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;

/**
 * The register of rights requests through the admin API, and the operator's `data-request` email, which
 * may only answer an open request of its recipient (docs/rights.md).
 */
describe('rights requests and the data-request email', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'rr-news', doubleOptIn: false });
  });

  const admin = (path: string, init: RequestInit = {}) => adminRequest(runtime, path, init);
  const post = (path: string, body: unknown, method = 'POST') =>
    admin(path, { method, body: JSON.stringify(body) });
  const errorOf = async (response: Response) => ((await response.json()) as ErrorBody).error;

  async function givenContact(email = `rr-${randomUUID()}@example.org`) {
    const response = await post('/admin/v1/contacts', { email, name: 'Rhea Requester' });
    expect(response.status).toBe(201);
    const { contact } = (await response.json()) as { contact: { contactId: string } };
    return { email, contactId: contact.contactId };
  }

  async function givenRequest(body: Json): Promise<RightsRequest> {
    const response = await post('/admin/v1/rights-requests', {
      kind: 'access',
      channel: 'email',
      jurisdiction: 'gdpr',
      requester: { type: 'person' },
      ...body,
    });
    expect(response.status, JSON.stringify(await response.clone().json())).toBe(201);
    return (await response.json()) as RightsRequest;
  }

  const change = (id: string, body: Json) => post(`/admin/v1/rights-requests/${id}`, body, 'PATCH');
  const verify = async (id: string) => {
    const response = await change(id, { action: 'verify', method: 'matching-information' });
    expect(response.status).toBe(200);
  };
  const getRequest = async (id: string) =>
    (await (await admin(`/admin/v1/rights-requests/${id}`)).json()) as RightsRequest;

  const dataRequestEmail = (contactId: string, extra: Json = {}) =>
    post('/admin/v1/messages', {
      contactId,
      kind: 'transactional',
      purpose: 'data-request',
      subject: 'Your access request',
      html: '<p>We have received your request and attach a copy of your data.</p>',
      ...extra,
    });

  async function suppress(email: string, reason: 'complaint' | 'hard-bounce') {
    const createdAt = new Date().toISOString();
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    const scope = reason === 'complaint' ? 'marketing-and-announcements' : 'all';
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: { ...keyOf('suppression', { emailHash, createdAt }), emailHash, reason, scope, createdAt },
      }),
    );
  }

  /** A person who reported our email as spam and unsubscribed from every list and all marketing. */
  async function givenComplainedAndUnsubscribed() {
    const contact = await givenContact();
    const unsubscribed = await post(`/admin/v1/contacts/${contact.contactId}/unsubscribe`, {
      allMarketing: true,
    });
    expect(unsubscribed.status).toBe(200);
    await suppress(contact.email, 'complaint');
    return contact;
  }

  describe('the operator’s data-request email', () => {
    it('is refused without a rights request to a person who complained and unsubscribed from everything', async () => {
      const person = await givenComplainedAndUnsubscribed();
      const response = await dataRequestEmail(person.contactId);
      expect(response.status).toBe(422);
      const error = await errorOf(response);
      expect(error.code).toBe('message_refused');
      expect(error.details).toEqual([expect.objectContaining({ code: 'rights_request_required' })]);
      expect(await sentMailTo(person.email)).toEqual([]);
    });

    it('is refused when it promotes anything, even answering a genuine request', async () => {
      const person = await givenComplainedAndUnsubscribed();
      const request = await givenRequest({ contactId: person.contactId });
      await verify(request.rightsRequestId);
      const response = await dataRequestEmail(person.contactId, {
        rightsRequestId: request.rightsRequestId,
        subject: 'Your data',
        html: '<p>Here is your data. While you are here: 30% off everything with coupon SPRING!</p>',
        promotionalOverride: { reason: 'it is only a small offer' },
      });
      expect(response.status).toBe(422);
      expect((await errorOf(response)).details).toEqual([
        expect.objectContaining({ code: 'promotional_data_request', path: 'html' }),
      ]);
      expect(await sentMailTo(person.email)).toEqual([]);
    });

    it('is refused for a request that is unknown, another contact’s or closed, and for a bounced address', async () => {
      const person = await givenContact();
      const other = await givenContact();
      const othersRequest = await givenRequest({ contactId: other.contactId });
      const closed = await givenRequest({ contactId: person.contactId });
      expect(
        (await change(closed.rightsRequestId, { action: 'deny', reason: 'Not verifiable' })).status,
      ).toBe(200);
      const cases: [string, string][] = [
        ['unknownRequestId1', 'rights_request_not_found'],
        [othersRequest.rightsRequestId, 'rights_request_other_contact'],
        [closed.rightsRequestId, 'rights_request_closed'],
      ];
      for (const [rightsRequestId, code] of cases) {
        const response = await dataRequestEmail(person.contactId, { rightsRequestId });
        expect(response.status, code).toBe(422);
        expect((await errorOf(response)).details, code).toEqual([expect.objectContaining({ code })]);
      }
      const bounced = await givenContact();
      const open = await givenRequest({ contactId: bounced.contactId });
      await suppress(bounced.email, 'hard-bounce');
      const response = await dataRequestEmail(bounced.contactId, { rightsRequestId: open.rightsRequestId });
      expect((await errorOf(response)).details).toEqual([expect.objectContaining({ code: 'suppressed' })]);
      const wrongPurpose = await post('/admin/v1/messages', {
        contactId: person.contactId,
        kind: 'marketing',
        listId: 'rr-news',
        rightsRequestId: open.rightsRequestId,
        subject: 'News',
        html: '<p>News</p>',
      });
      expect(wrongPurpose.status).toBe(400);
      expect(await sentMailTo(person.email)).toEqual([]);
      expect(await sentMailTo(bounced.email)).toEqual([]);
    });

    it('is refused to a contact re-created for an address that was erased', async () => {
      const first = await givenContact();
      const erasure = await givenRequest({ contactId: first.contactId, kind: 'erasure' });
      await verify(erasure.rightsRequestId);
      const erased = await admin(
        `/admin/v1/contacts/${first.contactId}/erase?rightsRequestId=${erasure.rightsRequestId}`,
        { method: 'POST' },
      );
      expect(erased.status).toBe(200);

      const again = await givenContact(first.email);
      expect(again.contactId).not.toBe(first.contactId);
      // Neither the old request nor a new one of the new contact opens the erased address again.
      const oldRequest = await dataRequestEmail(again.contactId, {
        rightsRequestId: erasure.rightsRequestId,
      });
      expect((await errorOf(oldRequest)).details).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'rights_request_other_contact' })]),
      );
      const fresh = await givenRequest({ contactId: again.contactId });
      await verify(fresh.rightsRequestId);
      const response = await dataRequestEmail(again.contactId, { rightsRequestId: fresh.rightsRequestId });
      expect(response.status).toBe(422);
      expect((await errorOf(response)).details).toEqual([expect.objectContaining({ code: 'suppressed' })]);
      expect(await errorOf(await dataRequestEmail(again.contactId))).toMatchObject({
        details: expect.arrayContaining([expect.objectContaining({ code: 'rights_request_required' })]),
      });
      expect(await sentMailTo(first.email)).toEqual([]);
    });

    it('answers a genuine request end to end: create, verify, email, complete by export', async () => {
      const person = await givenComplainedAndUnsubscribed();
      const request = await givenRequest({
        contactId: person.contactId,
        requester: { type: 'agent', name: 'Avery Agent', authorisationReference: 'POA-2027-17' },
      });
      expect(request).toMatchObject({ status: 'received', channel: 'email', jurisdiction: 'gdpr' });
      await verify(request.rightsRequestId);

      const sent = await dataRequestEmail(person.contactId, { rightsRequestId: request.rightsRequestId });
      expect(sent.status).toBe(202);
      const message = (await sent.json()) as MessageRecord;
      expect(message.exemption).toEqual({
        type: 'transactional',
        purpose: 'data-request',
        rightsRequestId: request.rightsRequestId,
      });
      const mails = await sentMailTo(person.email);
      expect(mails.map((mail) => mail.subject)).toEqual(['Your access request']);

      const exported = await admin(
        `/admin/v1/contacts/${person.contactId}/export?rightsRequestId=${request.rightsRequestId}`,
      );
      expect(exported.status).toBe(200);
      const body = (await exported.json()) as { exportedAt: string; rightsRequests: Json[] };
      expect(body.rightsRequests).toEqual([
        expect.objectContaining({ rightsRequestId: request.rightsRequestId }),
      ]);
      const completed = await getRequest(request.rightsRequestId);
      expect(completed).toMatchObject({
        status: 'completed',
        outcome: { evidence: { exportDeliveredAt: body.exportedAt } },
      });
      const audit = await admin(
        `/admin/v1/audit-events?targetType=rightsRequest&targetId=${request.rightsRequestId}`,
      );
      const operations = ((await audit.json()) as { events: { operation: string }[] }).events.map(
        (event) => event.operation,
      );
      expect(operations).toEqual(
        expect.arrayContaining(['createRightsRequest', 'updateRightsRequest', 'exportContact']),
      );

      // Answered: nothing more may be sent about it.
      const after = await dataRequestEmail(person.contactId, { rightsRequestId: request.rightsRequestId });
      expect((await errorOf(after)).details).toEqual([
        expect.objectContaining({ code: 'rights_request_closed' }),
      ]);
      expect(await sentMailTo(person.email)).toHaveLength(1);
    });
  });

  describe('the register', () => {
    it('records a request with its deadline, extends it once with a reason, and lists what is due', async () => {
      const person = await givenContact();
      const receivedAt = '2026-01-31T09:00:00.000Z';
      const request = await givenRequest({ contactId: person.contactId, kind: 'rectification', receivedAt });
      expect(request).toMatchObject({ receivedAt, dueAt: '2026-02-28T09:00:00.000Z', status: 'received' });
      // Overdue already: an extension had to be decided before the deadline.
      const late = await change(request.rightsRequestId, { action: 'extend', reason: 'Too late now' });
      expect(late.status).toBe(409);
      expect((await errorOf(late)).code).toBe('rights_request_overdue');

      const ccpa = await givenRequest({
        contactId: person.contactId,
        kind: 'opt-out-of-sale',
        jurisdiction: 'ccpa',
      });
      const extended = await change(ccpa.rightsRequestId, {
        action: 'extend',
        reason: 'Several vendors to notify',
      });
      expect(extended.status).toBe(200);
      const dueAt = new Date(Date.parse(ccpa.dueAt) + 45 * 86_400_000).toISOString();
      expect(await extended.json()).toMatchObject({
        dueAt,
        extension: { reason: 'Several vendors to notify' },
      });
      const twice = await change(ccpa.rightsRequestId, { action: 'extend', reason: 'Even more vendors' });
      expect((await errorOf(twice)).code).toBe('rights_request_already_extended');

      const overdue = (await (await admin('/admin/v1/rights-requests?overdue=true&limit=500')).json()) as {
        requests: RightsRequest[];
      };
      const ids = overdue.requests.map((entry) => entry.rightsRequestId);
      expect(ids).toContain(request.rightsRequestId);
      expect(ids).not.toContain(ccpa.rightsRequestId);
      const byKind = (await (
        await admin('/admin/v1/rights-requests?kind=opt-out-of-sale&status=received&limit=500')
      ).json()) as { requests: RightsRequest[] };
      expect(byKind.requests.map((entry) => entry.rightsRequestId)).toContain(ccpa.rightsRequestId);
      expect(byKind.requests.every((entry) => entry.kind === 'opt-out-of-sale')).toBe(true);
      const dueSoon = (await (
        await admin('/admin/v1/rights-requests?dueBefore=2026-03-01T00:00:00Z&limit=500')
      ).json()) as { requests: RightsRequest[] };
      expect(dueSoon.requests.map((entry) => entry.rightsRequestId)).toContain(request.rightsRequestId);
      expect(dueSoon.requests.every((entry) => entry.dueAt < '2026-03-01T00:00:00Z')).toBe(true);
    });

    it('pages through the register by deadline', async () => {
      const person = await givenContact();
      for (const day of ['10', '11', '12']) {
        await givenRequest({ contactId: person.contactId, receivedAt: `2025-03-${day}T00:00:00.000Z` });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = (await (
          await admin(
            `/admin/v1/rights-requests?dueBefore=2025-04-13T00:00:00Z&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          )
        ).json()) as { requests: RightsRequest[]; nextCursor?: string };
        seen.push(...page.requests.map((entry) => entry.dueAt));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(seen).toEqual(expect.arrayContaining(['2025-04-10T00:00:00.000Z', '2025-04-12T00:00:00.000Z']));
      expect([...seen].sort()).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('refuses what it cannot hold with a clear error and records nothing', async () => {
      const person = await givenContact();
      const before = (await scanAllItems(runtime)).filter((item) => item.entity === 'rightsRequest').length;
      const cases: [Json, number, string][] = [
        [{ receivedAt: '2999-01-01T00:00:00Z' }, 400, 'validation_failed'],
        [{ periodDays: 10 }, 400, 'validation_failed'],
        [{ channel: 'self-service' }, 400, 'validation_failed'],
        [{ kind: 'everything' }, 400, 'validation_failed'],
        [
          { requester: { type: 'agent', name: 'A\r\nB', authorisationReference: 'x' } },
          400,
          'validation_failed',
        ],
        [{ contactId: 'noSuchContact1' }, 422, 'unknown_reference'],
      ];
      for (const [body, status, code] of cases) {
        const response = await post('/admin/v1/rights-requests', {
          kind: 'access',
          channel: 'email',
          jurisdiction: 'gdpr',
          requester: { type: 'person' },
          contactId: person.contactId,
          ...body,
        });
        expect(response.status, JSON.stringify(body)).toBe(status);
        expect((await errorOf(response)).code).toBe(code);
      }
      expect((await scanAllItems(runtime)).filter((item) => item.entity === 'rightsRequest').length).toBe(
        before,
      );
      expect((await admin('/admin/v1/rights-requests/noSuchRequest1')).status).toBe(404);
      expect((await change('noSuchRequest1', { action: 'verify', method: 'other' })).status).toBe(404);
    });
  });

  describe('export, erasure and rectification complete the request they answer', () => {
    it('refuses an unknown, foreign, unverified, closed or other-kind request and changes nothing', async () => {
      const person = await givenContact();
      const other = await givenContact();
      const foreign = await givenRequest({ contactId: other.contactId, kind: 'erasure' });
      await verify(foreign.rightsRequestId);
      const unverified = await givenRequest({ contactId: person.contactId, kind: 'erasure' });
      const access = await givenRequest({ contactId: person.contactId, kind: 'access' });
      await verify(access.rightsRequestId);
      const denied = await givenRequest({ contactId: person.contactId, kind: 'erasure' });
      await change(denied.rightsRequestId, { action: 'deny', reason: 'Legal hold on the account' });
      const cases: [string, number, string][] = [
        ['noSuchRequest1', 404, 'rights_request_not_found'],
        [foreign.rightsRequestId, 409, 'rights_request_other_contact'],
        [unverified.rightsRequestId, 409, 'rights_request_not_verified'],
        [access.rightsRequestId, 409, 'rights_request_kind_mismatch'],
        [denied.rightsRequestId, 409, 'rights_request_closed'],
      ];
      for (const [id, status, code] of cases) {
        const response = await admin(`/admin/v1/contacts/${person.contactId}/erase?rightsRequestId=${id}`, {
          method: 'POST',
        });
        expect(response.status, code).toBe(status);
        expect((await errorOf(response)).code).toBe(code);
      }
      expect((await admin(`/admin/v1/contacts/${person.contactId}`)).status).toBe(200);
      const rectify = await post(
        `/admin/v1/contacts/${person.contactId}`,
        { name: 'Rhea R.', rightsRequestId: access.rightsRequestId },
        'PATCH',
      );
      expect((await errorOf(rectify)).code).toBe('rights_request_kind_mismatch');
      expect(await (await admin(`/admin/v1/contacts/${person.contactId}`)).json()).toMatchObject({
        name: 'Rhea Requester',
      });
      expect((await getRequest(foreign.rightsRequestId)).status).toBe('verified');
    });

    it('completes a rectification or an opt-out of sale with the contact update', async () => {
      const person = await givenContact();
      const rectification = await givenRequest({ contactId: person.contactId, kind: 'rectification' });
      await verify(rectification.rightsRequestId);
      const response = await post(
        `/admin/v1/contacts/${person.contactId}`,
        { name: 'Rhea Corrected', rightsRequestId: rectification.rightsRequestId },
        'PATCH',
      );
      expect(response.status).toBe(200);
      const { contact } = (await response.json()) as { contact: { updatedAt: string } };
      expect(await getRequest(rectification.rightsRequestId)).toMatchObject({
        status: 'completed',
        outcome: { evidence: { contactUpdatedAt: contact.updatedAt } },
      });
      const sale = await givenRequest({
        contactId: person.contactId,
        kind: 'opt-out-of-sale',
        jurisdiction: 'ccpa',
      });
      await verify(sale.rightsRequestId);
      const withoutOptOut = await post(
        `/admin/v1/contacts/${person.contactId}`,
        { locale: 'fr', rightsRequestId: sale.rightsRequestId },
        'PATCH',
      );
      expect((await errorOf(withoutOptOut)).code).toBe('rights_request_kind_mismatch');
      const optOut = await post(
        `/admin/v1/contacts/${person.contactId}`,
        { doNotSell: true, rightsRequestId: sale.rightsRequestId },
        'PATCH',
      );
      expect(optOut.status).toBe(200);
      expect((await getRequest(sale.rightsRequestId)).status).toBe('completed');
    });

    it('completes an erasure with its receipt and keeps the request without personal data', async () => {
      const person = await givenContact();
      const erasure = await givenRequest({
        contactId: person.contactId,
        kind: 'erasure',
        requester: { type: 'agent', name: 'Quill Agentson', authorisationReference: 'AUTH-991' },
        notes: 'Phoned by Quill Agentson on behalf of Rhea',
      });
      await change(erasure.rightsRequestId, { action: 'verify', method: 'agent-authorisation' });
      const earlier = await givenRequest({ contactId: person.contactId, kind: 'access' });
      await change(earlier.rightsRequestId, { action: 'deny', reason: 'Rhea withdrew it by phone' });

      const response = await admin(
        `/admin/v1/contacts/${person.contactId}/erase?rightsRequestId=${erasure.rightsRequestId}`,
        { method: 'POST' },
      );
      expect(response.status).toBe(200);
      const receipt = (await response.json()) as { erasureId: string };
      const kept = await getRequest(erasure.rightsRequestId);
      expect(kept).toMatchObject({
        kind: 'erasure',
        status: 'completed',
        receivedAt: erasure.receivedAt,
        dueAt: erasure.dueAt,
        verification: { method: 'agent-authorisation' },
        outcome: { evidence: { erasureReceiptId: receipt.erasureId } },
        requester: { type: 'agent', name: null, authorisationReference: null },
        notes: null,
        anonymisedAt: expect.any(String),
      });
      expect(await getRequest(earlier.rightsRequestId)).toMatchObject({
        status: 'denied',
        outcome: { reason: null },
      });
      const stored = JSON.stringify(
        (await scanAllItems(runtime)).filter((item) => item.entity === 'rightsRequest'),
      );
      for (const needle of ['Quill', 'AUTH-991', 'Rhea', person.email]) expect(stored).not.toContain(needle);
    });
  });
});
