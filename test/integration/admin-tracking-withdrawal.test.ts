import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../functions/admin-api/app';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { ApiKeyScope } from '../../shared/api-keys';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { adminAppFor, publicAppFor } from '../support/apps';
import { givenConfirmedSignup } from '../support/confirmed-signup';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/**
 * The operator withdraws a person's open-tracking consent on their behalf (`withdrawTrackingConsent`): the
 * mail already sent stops recording opens from the answer on, the ledger says who did it, a repeat changes
 * nothing, and the route only ever narrows.
 */
describe('admin API: withdrawing tracking consent on a contact’s behalf', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'tracked-news', trackingMode: 'per-person' });
  });
  afterAll(async () => streamReader.stop());

  /** Signs someone up with tracking allowed through the public API, and confirms. */
  async function trackedReader() {
    const reader = await givenConfirmedSignup(runtime, 'tracked-news', { trackingConsent: true });
    expect((await recordsOf(runtime, reader.email))?.contact.trackingConsent).toBe(true);
    return reader;
  }

  /** A marketing message through the real sending path, a minute old; its pixel path. */
  async function sentMessage(reader: { email: string; contactId: string }) {
    const result = await sendMessage(
      {
        ...sendDependenciesOf(runtime, { ses: runtime.clients.ses }),
        now: () => new Date(Date.now() - 60_000),
      },
      {
        recipient: { contactId: reader.contactId },
        draft: { kind: 'marketing', listId: 'tracked-news', subject: 'News', html: '<p>Hello</p>' },
      },
    );
    expect(result.outcome).toBe('sent');
    expect(result.message.tracked).toBe(true);
    const html = (await sentMailTo(reader.email)).at(-1)?.body.html ?? '';
    const pixelPath = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1];
    expect(pixelPath).toBeDefined();
    return { messageId: result.message.messageId, pixelPath: pixelPath ?? '' };
  }

  const loadPixel = (path: string) =>
    publicAppFor(runtime).request(
      path,
      { headers: { 'user-agent': CHROME } },
      {
        incoming: { socket: { remoteAddress: '203.0.113.77' } },
      },
    );

  async function openCountOf(contactId: string, messageId: string) {
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId }),
        ConsistentRead: true,
      }),
    );
    return Item?.openCount as number | undefined;
  }

  /** The admin app with a key that has `scopes` and is called `keyId`. */
  const adminWithKey = (keyId: string, scopes: ApiKeyScope[]) =>
    createAdminApp({
      ...runtime,
      apiKeys: { verify: async () => ({ keyId, scopes }) },
      docsAssetBaseUrl: '/docs/assets',
    });

  async function withdraw(contactId: string, app = adminAppFor(runtime), authorization?: string) {
    const response = await app.request(`/admin/v1/contacts/${contactId}/withdraw-tracking`, {
      method: 'POST',
      headers: { authorization: authorization ?? `Bearer ${runtime.config.adminApiKey}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const trackingEvents = async (email: string) =>
    (await recordsOf(runtime, email))?.events.filter((event) => event.kind.startsWith('tracking-')) ?? [];

  it('stops the mail already sent from recording opens, and records one tracking-revoked by the operator', async () => {
    const reader = await trackedReader();
    const { messageId, pixelPath } = await sentMessage(reader);
    // The pixel works before: one load is recorded.
    expect((await loadPixel(pixelPath)).status).toBe(200);
    expect(await openCountOf(reader.contactId, messageId)).toBe(1);

    const support = adminWithKey('support-desk', ['contacts:write']);
    expect(await withdraw(reader.contactId, support, 'Bearer any-key')).toEqual({
      status: 200,
      body: { result: 'withdrawn' },
    });
    expect((await loadPixel(pixelPath)).status).toBe(200);
    expect(await openCountOf(reader.contactId, messageId)).toBe(1);

    const records = await recordsOf(runtime, reader.email);
    expect(records?.contact.trackingConsent).toBe(false);
    const revoked = (await trackingEvents(reader.email)).filter((event) => event.kind === 'tracking-revoked');
    expect(revoked).toEqual([
      expect.objectContaining({
        listId: null,
        method: 'admin',
        legalBasis: 'consent',
        evidence: { apiKeyId: 'support-desk' },
      }),
    ]);
  });

  it('is idempotent: a repeat answers already-withdrawn and records nothing', async () => {
    const reader = await trackedReader();
    await sentMessage(reader);
    expect((await withdraw(reader.contactId)).body).toEqual({ result: 'withdrawn' });
    const events = await trackingEvents(reader.email);
    const before = await countItems(runtime);
    expect(await withdraw(reader.contactId)).toEqual({ status: 200, body: { result: 'already-withdrawn' } });
    expect(await countItems(runtime)).toBe(before);
    expect(await trackingEvents(reader.email)).toEqual(events);
    expect(events.filter((event) => event.kind === 'tracking-revoked')).toHaveLength(1);
  });

  it('answers 404 for a contact that does not exist, and writes nothing', async () => {
    const before = await countItems(runtime);
    const answer = await withdraw(newId());
    expect(answer).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: expect.any(String) } },
    });
    expect(await countItems(runtime)).toBe(before);
  });

  it('answers 403 for a key without contacts:write, and the pixel still records', async () => {
    const reader = await trackedReader();
    const { messageId, pixelPath } = await sentMessage(reader);
    const before = await countItems(runtime);
    const readOnly = adminWithKey('reader-key', ['contacts:read', 'send', 'campaigns']);
    const answer = await withdraw(reader.contactId, readOnly, 'Bearer any-key');
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, reader.email))?.contact.trackingConsent).toBe(true);
    await loadPixel(pixelPath);
    expect(await openCountOf(reader.contactId, messageId)).toBe(1);
  });

  it('has no way to grant tracking: a body asking for it is ignored, and consent stays off', async () => {
    const reader = await trackedReader();
    await withdraw(reader.contactId);
    const events = await trackingEvents(reader.email);
    const response = await adminAppFor(runtime).request(
      `/admin/v1/contacts/${reader.contactId}/withdraw-tracking`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${runtime.config.adminApiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ granted: true, trackingConsent: true }),
      },
    );
    expect(await response.json()).toEqual({ result: 'already-withdrawn' });
    expect((await recordsOf(runtime, reader.email))?.contact.trackingConsent).toBe(false);
    expect(await trackingEvents(reader.email)).toEqual(events);
  });

  it('is refused by the consent owner if the operator ever asked it to turn tracking on', async () => {
    const reader = await trackedReader();
    await withdraw(reader.contactId);
    const contact = await findContact(accessOf(runtime), reader.contactId);
    const before = await countItems(runtime);
    const grant = setTrackingConsent(
      { access: accessOf(runtime) },
      { contact: contact as Contact, granted: true, method: 'admin', evidence: { apiKeyId: 'support-desk' } },
    );
    await expect(grant).rejects.toMatchObject({ code: 'consent_rule' });
    expect(await countItems(runtime)).toBe(before);
  });
});
