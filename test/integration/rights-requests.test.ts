import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { RightsRequest } from '../../shared/rights/rights-request-rules';
import type { Runtime } from '../../shared/runtime';
import { adminRequest } from '../support/apps';
import { givenList, scanAllItems } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;

/** The register of rights requests through the admin API (docs/rights.md). */
describe('rights requests', () => {
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
