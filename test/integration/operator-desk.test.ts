import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { AuditEvent } from '../../shared/audit/audit-events';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { RightsReport } from '../../shared/rights/rights-report';
import type { RightsRequest } from '../../shared/rights/rights-request-rules';
import type { Runtime } from '../../shared/runtime';
import { adminRequest, publicAppFor } from '../support/apps';
import { givenList, scanAllItems } from '../support/consent-fixtures';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;

/**
 * The operator's desk, end to end through the admin API alone: a person emails "please delete everything
 * you have about me", and the operator finds them by the address, registers the request, verifies it,
 * erases with the request's id and accounts for it in the year's report (docs/rights.md).
 */
describe('answering an emailed erasure request through the API alone', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'desk-news', doubleOptIn: false });
  });
  afterAll(async () => streamReader.stop());

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await adminRequest(runtime, path, {
      method: init.method ?? 'GET',
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const year = new Date().getUTCFullYear();
  const report = async () => (await call(`/admin/v1/rights-reports/${year}`)).body as unknown as RightsReport;
  const rowOf = (of: RightsReport, kind: string) => of.rows.find((row) => row.kind === kind);

  /** Someone who signed up on the website (the public API), as a person would. */
  async function givenSubscriber() {
    const email = `Ada.Lovelace-${randomUUID().slice(0, 8)}@Example.org`;
    const signup = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['desk-news'] }),
    });
    expect(signup.status).toBe(202);
    // The signup is accepted in one write and processed on the table's stream.
    await untilRequestsProcessed(runtime);
    return email;
  }

  it('finds, registers, verifies, erases with the request id, and reports it', async () => {
    const email = await givenSubscriber();
    const before = await report();

    // 1. The email arrives from the address in another letter case: find the contact.
    const found = await call(`/admin/v1/contacts?email=${encodeURIComponent(email.toLowerCase())}`);
    expect(found.status).toBe(200);
    const [contact] = found.body.contacts as { contactId: string; email: string; subscriptions: Json[] }[];
    expect(contact?.subscriptions).toEqual([
      expect.objectContaining({ listId: 'desk-news', status: 'confirmed' }),
    ]);
    const contactId = contact?.contactId ?? '';

    // 2. Register it as received by email, under the GDPR.
    const receivedAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const created = await call('/admin/v1/rights-requests', {
      method: 'POST',
      body: {
        kind: 'erasure',
        channel: 'email',
        jurisdiction: 'gdpr',
        receivedAt,
        requester: { type: 'person' },
        contactId,
        notes: 'Asked by email to delete everything; wrote from the address we hold.',
      },
    });
    expect(created.status).toBe(201);
    const request = created.body as unknown as RightsRequest;
    expect(request).toMatchObject({ status: 'received', contactId, receivedAt });

    // Erasing before the requester is verified is refused, and nothing is erased.
    const early = await call(
      `/admin/v1/contacts/${contactId}/erase?rightsRequestId=${request.rightsRequestId}`,
      {
        method: 'POST',
      },
    );
    expect(early.status).toBe(409);
    expect((early.body as unknown as ErrorBody).error.code).toBe('rights_request_not_verified');
    expect((await call(`/admin/v1/contacts/${contactId}`)).status).toBe(200);

    // 3. Verify: the email came from the address on file.
    const verified = await call(`/admin/v1/rights-requests/${request.rightsRequestId}`, {
      method: 'PATCH',
      body: { action: 'verify', method: 'matching-information' },
    });
    expect(verified.status).toBe(200);

    // 4. Erase with the request's id: the request is completed with the erasure's receipt.
    const erased = await call(
      `/admin/v1/contacts/${contactId}/erase?rightsRequestId=${request.rightsRequestId}`,
      {
        method: 'POST',
      },
    );
    expect(erased.status).toBe(200);
    const receipt = erased.body as { erasureId: string };
    const answered = (await call(`/admin/v1/rights-requests/${request.rightsRequestId}`)).body;
    expect(answered).toMatchObject({
      status: 'completed',
      outcome: { reason: null, evidence: { erasureReceiptId: receipt.erasureId } },
      // What proof needs stays; the notes could name the person and are gone.
      receivedAt,
      notes: null,
      anonymisedAt: expect.any(String),
    });
    expect((await call(`/admin/v1/contacts?email=${encodeURIComponent(email)}`)).body).toEqual({
      contacts: [],
    });
    const stored = JSON.stringify(await scanAllItems(runtime)).toLowerCase();
    expect(stored).not.toContain(email.toLowerCase());

    // Who did what is on the request's own trail.
    const trail = await call(
      `/admin/v1/audit-events?targetType=rightsRequest&targetId=${request.rightsRequestId}`,
    );
    expect((trail.body.events as AuditEvent[]).map((event) => event.operation).sort()).toEqual([
      'createRightsRequest',
      'eraseContact',
      'updateRightsRequest',
    ]);

    // 5. The year's report counts it, answered in about three days.
    const after = await report();
    expect(rowOf(after, 'erasure')).toMatchObject({
      received: (rowOf(before, 'erasure')?.received ?? 0) + 1,
      completed: (rowOf(before, 'erasure')?.completed ?? 0) + 1,
      answeredLate: 0,
    });
    expect(rowOf(after, 'erasure')?.medianDaysToRespond).toBeCloseTo(3, 0);
  });
});

describe('getRightsReport', () => {
  let runtime: Runtime;
  const year = new Date().getUTCFullYear();

  async function givenRequest(kind: string, receivedAt: string, close?: 'complete' | 'deny') {
    const created = await adminRequest(runtime, '/admin/v1/rights-requests', {
      method: 'POST',
      body: JSON.stringify({
        kind,
        channel: 'post',
        jurisdiction: 'ccpa',
        receivedAt,
        requester: { type: 'agent', name: 'Jo Agent', authorisationReference: 'POA-7' },
        contactId: null,
        ...(close === 'complete' ? { verification: { method: 'agent-authorisation', at: receivedAt } } : {}),
      }),
    });
    expect(created.status).toBe(201);
    const { rightsRequestId } = (await created.json()) as RightsRequest;
    if (close === undefined) return;
    const body =
      close === 'complete' ? { action: 'complete' } : { action: 'deny', reason: 'Not verifiable.' };
    const closed = await adminRequest(runtime, `/admin/v1/rights-requests/${rightsRequestId}`, {
      method: 'PATCH',
      body: JSON.stringify(body),
    });
    expect(closed.status).toBe(200);
  }

  beforeAll(async () => {
    runtime = await createTestRuntime();
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    await givenRequest('access', daysAgo(0), 'complete');
    await givenRequest('access', daysAgo(0), 'deny');
    await givenRequest('opt-out-of-sale', daysAgo(0));
    // Received last year: not in this year's report.
    await givenRequest('access', new Date(Date.UTC(year - 1, 11, 31, 12)).toISOString(), 'complete');
  });

  it('answers JSON by default: this year’s requests by kind and outcome', async () => {
    const response = await adminRequest(runtime, `/admin/v1/rights-reports/${year}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const report = (await response.json()) as RightsReport;
    expect(report.year).toBe(year);
    expect(report.rows.find((row) => row.kind === 'access')).toMatchObject({
      received: 2,
      completed: 1,
      denied: 1,
      open: 0,
      medianDaysToRespond: 0,
    });
    expect(report.rows.find((row) => row.kind === 'opt-out-of-sale')).toMatchObject({
      received: 1,
      open: 1,
      medianDaysToRespond: null,
    });
    expect(report.rows.find((row) => row.kind === 'all')).toMatchObject({ received: 3 });
    const lastYear = (await (
      await adminRequest(runtime, `/admin/v1/rights-reports/${year - 1}`)
    ).json()) as RightsReport;
    expect(lastYear.rows.find((row) => row.kind === 'access')).toMatchObject({ received: 1, completed: 1 });
  });

  it('answers CSV for ?format=csv or Accept: text/csv, the query winning over the header', async () => {
    for (const [query, accept] of [
      ['?format=csv', 'application/json'],
      ['', 'text/csv'],
    ] as const) {
      const response = await adminRequest(runtime, `/admin/v1/rights-reports/${year}${query}`, {
        headers: { accept },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(response.headers.get('content-disposition')).toBe(
        `attachment; filename="rights-report-${year}.csv"`,
      );
      expect(response.headers.get('vary')).toMatch(/accept/i);
      const lines = (await response.text()).split('\r\n');
      expect(lines[0]).toBe('kind,received,completed,denied,open,answered_late,median_days_to_respond');
      expect(lines).toContain('access,2,1,1,0,0,0');
      expect(lines).toContain('opt-out-of-sale,1,0,0,1,0,');
    }
    const json = await adminRequest(runtime, `/admin/v1/rights-reports/${year}?format=json`, {
      headers: { accept: 'text/csv' },
    });
    expect(json.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('refuses a year that is not one, before the register or in the future, and an unknown format', async () => {
    for (const path of [
      '/admin/v1/rights-reports/twenty',
      '/admin/v1/rights-reports/1999',
      `/admin/v1/rights-reports/${year + 1}`,
      `/admin/v1/rights-reports/${year}?format=xlsx`,
    ]) {
      const response = await adminRequest(runtime, path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe('validation_failed');
    }
  });
});
