import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundEvent } from '../../shared/events/event-types';
import type { Runtime } from '../../shared/runtime';
import { offerToWebhooks } from '../../shared/webhooks/webhook-delivery';
import { isPublicAddress } from '../../shared/webhooks/webhook-targets';
import { adminRequest } from '../support/apps';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

type Json = Record<string, unknown>;

const event = (id: string): OutboundEvent => ({
  id,
  type: 'tracking.revoked',
  version: 1,
  occurredAt: new Date().toISOString(),
  data: { contactId: 'c1', method: 'preference-page', legalBasis: 'consent' },
});

describe('webhook routes and targets, as on AWS (private targets not allowed)', () => {
  let runtime: Runtime;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    runtime = await createTestRuntime({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' });
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  const admin = async (path: string, method = 'GET', body?: unknown) => {
    const response = await adminRequest(runtime, path, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: (response.status === 204 ? {} : await response.json()) as Json };
  };
  const errorOf = (answer: { body: Json }) =>
    answer.body.error as { code: string; details?: { path: string; message: string }[] };

  it('refuses invalid webhooks with 400 validation_failed naming the field, and creates nothing', async () => {
    const cases: [unknown, string][] = [
      [{ url: 'ftp://crm.example.com/hook', eventTypes: ['contact.erased'] }, 'body.url'],
      [{ url: 'not a url', eventTypes: ['contact.erased'] }, 'body.url'],
      [{ url: 'https://user:pw@crm.example.com/hook', eventTypes: ['contact.erased'] }, 'body.url'],
      [{ url: 'https://crm.example.com/hook', eventTypes: [] }, 'body.eventTypes'],
      [{ url: 'https://crm.example.com/hook', eventTypes: ['contact.deleted'] }, 'body.eventTypes.0'],
      [
        { url: 'https://crm.example.com/hook', eventTypes: ['contact.erased', 'contact.erased'] },
        'body.eventTypes',
      ],
      [{ url: 'https://crm.example.com/hook', eventTypes: ['contact.erased'], secret: 'mine' }, 'body'],
      [{ eventTypes: ['contact.erased'] }, 'body.url'],
    ];
    for (const [body, path] of cases) {
      const answer = await admin('/admin/v1/webhooks', 'POST', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(answer).code).toBe('validation_failed');
      expect(
        errorOf(answer).details?.map((detail) => detail.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    const malformed = await admin('/admin/v1/webhooks', 'POST', '{"url":');
    expect(malformed.status).toBe(400);
    expect((await admin('/admin/v1/webhooks')).body).toEqual({ webhooks: [] });
  });

  it('refuses a URL whose host is a loopback, private, link-local or shared address (SSRF)', async () => {
    for (const host of [
      '127.0.0.1',
      '127.1',
      'localhost',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '10.0.0.8',
      '172.16.4.2',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '[fd00::1]',
      '[fe80::1]',
      '0.0.0.0',
    ]) {
      const answer = await admin('/admin/v1/webhooks', 'POST', {
        url: `http://${host}/latest/meta-data`,
        eventTypes: ['contact.erased'],
      });
      expect(answer.status, host).toBe(400);
      expect(errorOf(answer).details?.[0]?.path, host).toBe('body.url');
    }
    expect((await admin('/admin/v1/webhooks')).body).toEqual({ webhooks: [] });
  });

  it('never connects to a name that resolves to a private address, and records the refusal', async () => {
    // This machine's own name resolves to a loopback or private address (/etc/hosts, a container's).
    const name = hostname();
    const addresses = await lookup(name, { all: true });
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.some((entry) => isPublicAddress(entry.address))).toBe(false);
    const port = new URL(receiver.url('/')).port;
    const created = await admin('/admin/v1/webhooks', 'POST', {
      url: `http://${name}:${port}/internal`,
      eventTypes: ['tracking.revoked'],
    });
    expect(created.status).toBe(201);
    const { webhookId } = (created.body.webhook as { webhookId: string }) ?? {};
    const deps = { access: accessOf(runtime), logger: runtime.logger, allowPrivateTargets: false };
    expect(await offerToWebhooks(deps, [event('evt-ssrf-1')])).toBe(1);
    expect(receiver.requests.filter((request) => request.path === '/internal')).toEqual([]);
    const { body } = await admin(`/admin/v1/webhooks/${webhookId}/deliveries`);
    expect(body.deliveries).toMatchObject([
      { eventId: 'evt-ssrf-1', status: 'pending', attempts: 1, lastResult: 'refused' },
    ]);
    expect((await admin(`/admin/v1/webhooks/${webhookId}`, 'DELETE')).status).toBe(204);
  });

  it('does not follow a redirect: the attempt fails and is retried later', async () => {
    const local = await createTestRuntime({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    receiver.redirect('/moved', 'http://169.254.169.254/latest/meta-data');
    const created = await adminRequest(local, '/admin/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: receiver.url('/moved'), eventTypes: ['tracking.revoked'] }),
    });
    expect(created.status).toBe(201);
    const deps = { access: accessOf(local), logger: local.logger, allowPrivateTargets: true };
    expect(await offerToWebhooks(deps, [event('evt-redirect-1')])).toBe(1);
    expect(receiver.requests.filter((request) => request.path === '/moved').map((r) => r.status)).toEqual([
      307,
    ]);
    const { webhook } = (await created.json()) as { webhook: { webhookId: string } };
    const deliveries = await adminRequest(local, `/admin/v1/webhooks/${webhook.webhookId}/deliveries`);
    expect(((await deliveries.json()) as Json).deliveries).toMatchObject([
      { status: 'pending', attempts: 1, lastResult: '307' },
    ]);
  });

  it('lists webhooks without their secret, and answers 404 for an unknown webhook', async () => {
    const created = await admin('/admin/v1/webhooks', 'POST', {
      url: 'https://crm.example.com/hooks/consent-mail',
      eventTypes: ['contact.erased', 'subscription.unsubscribed'],
    });
    expect(created.status).toBe(201);
    const secret = String(created.body.secret);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await admin('/admin/v1/webhooks');
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));
    expect(listed.body.webhooks).toEqual([created.body.webhook]);
    const unknown = 'a1b2c3d4e5f6g7h8';
    expect(errorOf(await admin(`/admin/v1/webhooks/${unknown}`, 'DELETE')).code).toBe('webhook_not_found');
    const deliveries = await admin(`/admin/v1/webhooks/${unknown}/deliveries`);
    expect(deliveries.status).toBe(404);
    const { webhookId } = created.body.webhook as { webhookId: string };
    const badCursor = await admin(`/admin/v1/webhooks/${webhookId}/deliveries?cursor=bm90LWEta2V5`);
    expect(badCursor.status).toBe(400);
    expect((await admin(`/admin/v1/webhooks/${webhookId}/deliveries?status=lost`)).status).toBe(400);
    expect((await admin(`/admin/v1/webhooks/bad%23id`, 'DELETE')).status).toBe(400);
  });
});
