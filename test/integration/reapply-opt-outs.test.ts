import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BatchWriteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { recordSuppression } from '../../shared/consent/suppression-events';
import { unsubscribe } from '../../shared/consent/unsubscribe';
import { findContact } from '../../shared/contacts/contacts';
import { setDoNotSell } from '../../shared/contacts/do-not-sell';
import { hashEmail } from '../../shared/email-address';
import type { Runtime } from '../../shared/runtime';
import { putFeedbackSuppression } from '../../shared/suppressions/ses-feedback';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList, scanAllItems } from '../support/consent-fixtures';
import { restoredCopyOf } from '../support/restored-table';
import { marketingRefusalsFor } from '../support/send-decision';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The restore guide's command (docs/deploy.md#restoring-the-table-from-a-point-in-time), run as the
 * operator runs it, against two tables on DynamoDB Local: the old live table, where people went on
 * opting out after the restore point, and a copy of it as it was at that point (what
 * restore-table-to-point-in-time makes). Afterwards nobody who opted out can be mailed from the restored
 * table; running it again changes nothing.
 */

const run = promisify(execFile);
const LIST = 'weekly-news';

async function reapplyOptOutsCommand(args: string[], runtime: Runtime) {
  try {
    const { stdout } = await run(
      'node_modules/.bin/tsx',
      ['functions/local/reapply-opt-outs-command.ts', ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_REGION: runtime.config.region,
          DYNAMODB_ENDPOINT: runtime.config.dynamoDbEndpoint,
        },
        timeout: 60_000,
      },
    );
    return { code: 0, summary: JSON.parse(stdout) as Record<string, Record<string, number>> };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? 1, stderr: failed.stderr ?? '' };
  }
}

describe('re-applying opt-outs after a point-in-time restore', () => {
  let live: Runtime;
  let restored: Runtime;
  let since: string;
  const readers: { contactId: string; email: string }[] = [];
  let lateAddressHash = '';
  let lateLeaverEmail = '';
  const mayMail = async (runtime: Runtime, contactId: string) =>
    (await marketingRefusalsFor(runtime, contactId, LIST)).length === 0;

  beforeAll(async () => {
    live = await createTestRuntime();
    await givenList(live, { listId: LIST, doubleOptIn: true });
    readers.push(...(await givenConfirmedSubscribers(live, LIST, 6, { label: 'restore' })));
    const access = accessOf(live);
    const [, , , , tracked] = readers.map((reader) => reader.contactId);
    const trackedContact = await findContact(access, tracked ?? '');
    if (trackedContact === undefined) throw new Error('no contact');
    await setTrackingConsent(
      { access },
      { contact: trackedContact, granted: true, evidence: {}, link: { mintedFor: 0 } },
    );

    // The restore point.
    restored = await restoredCopyOf(live);
    since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));

    // After it, on the live table: what the restore loses.
    const [oneClick, allMarketing, bounced, erased, privacy] = readers;
    const token = createTokenSigner(live.config.signingKeys).sign('unsubscribe', {
      contactId: oneClick?.contactId ?? '',
      listId: LIST,
    });
    const response = await publicAppFor(live).request(`/v1/unsubscribe?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    await unsubscribe(
      { access, logger: live.logger },
      {
        contactId: allMarketing?.contactId ?? '',
        scope: { kind: 'all-marketing' },
        method: 'reply-email',
        evidence: { inboundMessageId: 'ses-inbound-1' },
      },
    );
    // A hard bounce with its ledger event, as the ses-events function writes them.
    const bouncedAt = new Date();
    const bounceItems = [
      putFeedbackSuppression(access, {
        emailHash: hashEmail(live.config.emailHashSecret, bounced?.email ?? ''),
        reason: 'hard-bounce',
        createdAt: bouncedAt.toISOString(),
        sourceEventId: 'ses-bounce-1',
        contactId: bounced?.contactId ?? '',
        messageId: 'msg-bounce-1',
      }),
    ];
    const evidence = { messageId: 'msg-bounce-1' };
    const contactId = bounced?.contactId ?? '';
    recordSuppression(access, bounceItems, { contactId, reason: 'hard-bounce', evidence }, bouncedAt);
    await live.clients.documents.send(new TransactWriteCommand({ TransactItems: bounceItems }));
    const erasure = await adminRequest(live, `/admin/v1/contacts/${erased?.contactId}/erase`, {
      method: 'POST',
    });
    expect(erasure.status).toBe(200);
    await setDoNotSell(access, privacy?.contactId ?? '', true, 'admin', { reason: 'asked by phone' });
    const privacyContact = await findContact(access, privacy?.contactId ?? '');
    if (privacyContact === undefined) throw new Error('no contact');
    await setTrackingConsent({ access }, { contact: privacyContact, granted: false, evidence: {} });
    // Someone who signed up after the restore point and left the list: unknown to the restored table too.
    const [lateLeaver] = await givenConfirmedSubscribers(live, LIST, 1, { label: 'late-leaver' });
    lateLeaverEmail = lateLeaver?.email ?? '';
    await unsubscribe(
      { access, logger: live.logger },
      {
        contactId: lateLeaver?.contactId ?? '',
        scope: { kind: 'list', listId: LIST },
        method: 'one-click',
        evidence: {},
      },
    );
    // Someone who signed up after the restore point and was erased: unknown to the restored table.
    const [late] = await givenConfirmedSubscribers(live, LIST, 1, { label: 'late' });
    lateAddressHash = hashEmail(live.config.emailHashSecret, late?.email ?? '');
    expect(
      (await adminRequest(live, `/admin/v1/contacts/${late?.contactId}/erase`, { method: 'POST' })).status,
    ).toBe(200);
  });

  it('the restored table alone would mail everyone who opted out after the restore point', async () => {
    for (const reader of readers.slice(0, 4)) expect(await mayMail(restored, reader.contactId)).toBe(true);
    expect(await findSuppression(accessOf(restored), lateAddressHash)).toBeUndefined();
  });

  it('the command re-applies every unsubscribe, suppression, erasure and privacy opt-out, then changes nothing on a second run', async () => {
    const args = ['--from', live.config.tableName, '--into', restored.config.tableName, '--since', since];
    const first = await reapplyOptOutsCommand(args, restored);
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({
      unsubscribed: { reapplied: 4, unchanged: 0, 'unknown-contact': 0 },
      'tracking-revoked': { reapplied: 1 },
      'sale-opted-out': { reapplied: 1 },
      erased: { reapplied: 1, 'unknown-contact': 1 },
      suppression: { reapplied: 3, unchanged: 0 },
    });

    const [oneClick, allMarketing, bounced, erased, privacy, untouched] = readers;
    const target = accessOf(restored);
    for (const reader of [oneClick, allMarketing, bounced]) {
      expect(await mayMail(restored, reader?.contactId ?? '')).toBe(false);
    }
    expect(await findContact(target, erased?.contactId ?? '')).toBeUndefined();
    expect(
      await findSuppression(target, hashEmail(live.config.emailHashSecret, erased?.email ?? '')),
    ).toMatchObject({ reason: 'erased', scope: 'all' });
    expect(await findSuppression(target, lateAddressHash)).toMatchObject({ reason: 'erased' });
    expect(await findContact(target, privacy?.contactId ?? '')).toMatchObject({
      doNotSell: true,
      doNotSellSource: 'admin',
      trackingConsent: false,
    });
    // A contact the restored table never had: its opt-out is kept against the address, so the operator's
    // next CRM import cannot make it `confirmed` again; it waits for the person's own confirmation.
    const lateLeaverHash = hashEmail(live.config.emailHashSecret, lateLeaverEmail);
    expect(await findSuppression(target, lateLeaverHash)).toMatchObject({
      reason: 'unsubscribed',
      scope: 'marketing',
    });
    const optIn = { at: '2024-03-01T10:00:00Z', source: 'https://crm.example.com/', consentTextVersion: 1 };
    const imported = await adminRequest(restored, '/admin/v1/contacts', {
      method: 'POST',
      body: JSON.stringify({ email: lateLeaverEmail, lists: [{ listId: LIST, optIn }] }),
    });
    expect(imported.status).toBe(201);
    const importedId = ((await imported.json()) as { contact: { contactId: string } }).contact.contactId;
    expect(await mayMail(restored, importedId)).toBe(false);
    // Nothing more than what was lost.
    expect(await mayMail(restored, untouched?.contactId ?? '')).toBe(true);

    const items = await countItems(restored);
    const second = await reapplyOptOutsCommand(args, restored);
    expect(second.code).toBe(0);
    for (const counts of Object.values(second.summary ?? {})) {
      if (typeof counts === 'object') expect(counts.reapplied).toBe(0);
    }
    expect(await countItems(restored)).toBe(items);
  });

  it("re-applies a bounce's suppression with its ledger event, at its original time", async () => {
    const reader = readers[2];
    const suppressedIn = async (runtime: Runtime) =>
      (await scanAllItems(runtime)).filter(
        (item) => item.contactId === reader?.contactId && item.kind === 'suppressed',
      );
    const [original] = await suppressedIn(live);
    expect(await suppressedIn(restored)).toEqual([
      expect.objectContaining({
        occurredAt: original?.occurredAt,
        method: 'bounce',
        evidence: expect.objectContaining({
          suppressionReason: 'hard-bounce',
          messageId: 'msg-bounce-1',
          requestEventId: original?.eventId,
        }),
      }),
    ]);
  });

  it('the re-applied ledger event keeps its original time, method and evidence, and names the event it re-applies', async () => {
    const reader = readers[1];
    const original = (await scanAllItems(live)).find(
      (item) => item.contactId === reader?.contactId && item.kind === 'unsubscribed' && item.listId === null,
    );
    const copy = (await scanAllItems(restored)).find(
      (item) => item.contactId === reader?.contactId && item.kind === 'unsubscribed' && item.listId === null,
    );
    expect(copy).toMatchObject({
      occurredAt: original?.occurredAt,
      method: 'reply-email',
      evidence: { inboundMessageId: 'ses-inbound-1', requestEventId: original?.eventId },
    });
  });

  it('after copying items back into the live table, it re-applies what the copy overwrote, from that same table', async () => {
    const table = await createTestRuntime();
    await givenList(table, { listId: LIST, doubleOptIn: true });
    const [reader] = await givenConfirmedSubscribers(table, LIST, 1, { label: 'copy-back' });
    const asRestored = await scanAllItems(table);
    const restorePoint = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await unsubscribe(
      { access: accessOf(table), logger: table.logger },
      {
        contactId: reader?.contactId ?? '',
        scope: { kind: 'list', listId: LIST },
        method: 'one-click',
        evidence: {},
      },
    );
    // The operator copies the subscription back from the restored table: the unsubscribe is overwritten.
    const subscription = asRestored.find((item) => String(item.sk).startsWith('SUBSCRIPTION#'));
    await table.clients.documents.send(
      new BatchWriteCommand({
        RequestItems: { [table.config.tableName]: [{ PutRequest: { Item: subscription ?? {} } }] },
      }),
    );
    expect(await mayMail(table, reader?.contactId ?? '')).toBe(true);

    const name = table.config.tableName;
    const result = await reapplyOptOutsCommand(
      ['--from', name, '--into', name, '--since', restorePoint],
      table,
    );
    expect(result.summary?.unsubscribed).toMatchObject({ reapplied: 1 });
    expect(await mayMail(table, reader?.contactId ?? '')).toBe(false);
  });

  it("adds the broader reason lost (a hard bounce) over the restored table's narrower one (a complaint), which stays beneath", async () => {
    const table = await createTestRuntime();
    const access = accessOf(table);
    const emailHash = hashEmail(table.config.emailHashSecret, 'narrower@example.org');
    const feedback = async (reason: 'complaint' | 'hard-bounce', messageId: string) => {
      const put = putFeedbackSuppression(
        access,
        {
          emailHash,
          reason,
          createdAt: new Date().toISOString(),
          sourceEventId: `ses-${messageId}`,
          messageId,
        },
        await findSuppression(access, emailHash),
      );
      if (put === undefined) throw new Error(`${reason} was on file already`);
      await table.clients.documents.send(new TransactWriteCommand({ TransactItems: [put] }));
    };
    await feedback('complaint', 'msg-complaint');
    const restoredTable = await restoredCopyOf(table);
    const restorePoint = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await feedback('hard-bounce', 'msg-bounce');

    const args = ['--from', table.config.tableName, '--into', restoredTable.config.tableName];
    const result = await reapplyOptOutsCommand([...args, '--since', restorePoint], restoredTable);
    expect(result).toMatchObject({ code: 0, summary: { suppression: { reapplied: 1 } } });
    expect(await findSuppression(accessOf(restoredTable), emailHash)).toMatchObject({
      reason: 'hard-bounce',
      scope: 'all',
      underlying: [expect.objectContaining({ reason: 'complaint' })],
    });
  });

  it('refuses a restore point without its time zone and writes nothing', async () => {
    const items = await countItems(restored);
    const refused = await reapplyOptOutsCommand(
      ['--from', live.config.tableName, '--into', restored.config.tableName, '--since', '2026-01-01T09:00'],
      restored,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--since needs an ISO 8601 time with its zone');
    expect(await countItems(restored)).toBe(items);
  });
});
