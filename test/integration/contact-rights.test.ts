import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createAwsClients } from '../../shared/aws-clients';
import { keyOf, primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { newId } from '../../shared/ids';
import { eraseContact } from '../../shared/rights/erasure';
import {
  countErasuresInProgress,
  erasureMayHaveMissedRecords,
  readErasureCount,
} from '../../shared/rights/erasure-count';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { testCampaignRunner } from '../support/campaigns';
import { accessOf, givenList, recordsOf, scanAllItems } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { untilOpensCounted, untilRequestsProcessed } from '../support/stream';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const READER_IP = '203.0.113.77';

type Json = Record<string, unknown>;

describe('data-subject rights: export and erasure', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  afterAll(async () => streamReader.stop());
  beforeAll(async () => {
    runtime = await createTestRuntime();
    // The referral below is processed on the table's stream, as on AWS.
    streamReader = await testCampaignRunner(runtime);
    await givenList(runtime, { listId: 'rights-news', trackingMode: 'per-person' });
  });

  const admin = (path: string, init: RequestInit = {}) => adminRequest(runtime, path, init);

  async function signUpAndConfirm(email: string, name: string) {
    const app = publicAppFor(runtime);
    const signup = await app.request(
      '/v1/subscribe',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': CHROME },
        body: JSON.stringify({
          email,
          name,
          lists: ['rights-news'],
          trackingConsent: true,
          source: 'https://example.com/signup',
        }),
      },
      { incoming: { socket: { remoteAddress: READER_IP } } },
    );
    await untilRequestsProcessed(runtime);
    expect(signup.status).toBeLessThan(300);
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email)).at(-1)?.body.text ?? '')?.[1] ?? '';
    expect(token).not.toBe('');
    const confirm = await app.request(
      '/v1/confirm',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CHROME },
        body: new URLSearchParams({ token }).toString(),
      },
      { incoming: { socket: { remoteAddress: READER_IP } } },
    );
    expect(confirm.status).toBe(200);
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('rights-news')?.status).toBe('confirmed');
    return records?.contact.contactId ?? '';
  }

  /** A contact with every kind of record: ledger, message, open, suppression, audit event, referrals, email change. */
  /** Step 1 of an erasure as the code before the count of erasures wrote it: the record, nothing counted. */
  async function givenUncountedErasure(contactId: string) {
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('erasureRecord', { contactId }),
          entity: 'erasureRecord',
          erasureId: newId(),
          contactId,
          status: 'in-progress',
          requestedBy: 'test',
          suppressed: true,
          startedAt: new Date().toISOString(),
          itemsDeleted: 0,
          itemsAnonymised: 0,
        },
      }),
    );
  }

  async function givenFullContact() {
    const email = `Erase.Me-${randomUUID()}@example.org`;
    const unique = randomUUID().replaceAll('-', '').slice(0, 8);
    const name = `Zeb${unique} Quax${unique}`;
    const contactId = await signUpAndConfirm(email, name);
    const sent = await sendMessage(sendDependenciesOf(runtime), {
      recipient: { contactId },
      draft: { kind: 'marketing', listId: 'rights-news', subject: `News for ${name}`, html: '<p>Hello</p>' },
    });
    expect(sent.outcome).toBe('sent');
    const html = (await sentMailTo(email)).at(-1)?.body.html ?? '';
    const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1] ?? '';
    expect(pixel).not.toBe('');
    await publicAppFor(runtime).request(
      pixel,
      { headers: { 'user-agent': CHROME } },
      { incoming: { socket: { remoteAddress: READER_IP } } },
    );
    // The open's tally is written by the stream reader.
    await untilOpensCounted(runtime, { contactId, messageId: sent.message.messageId });
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    const now = new Date().toISOString();
    const put = (Item: Json) =>
      runtime.clients.documents.send(new PutCommand({ TableName: runtime.config.tableName, Item }));
    await put({
      ...keyOf('suppression', { emailHash, createdAt: now }),
      entity: 'suppression',
      emailHash,
      reason: 'complaint',
      scope: 'marketing-and-announcements',
      createdAt: now,
    });
    const auditEventId = newId();
    await put({
      ...keyOf('auditEvent', {
        day: now.slice(0, 10),
        occurredAt: now,
        eventId: auditEventId,
        targetType: 'contact',
        targetId: contactId,
      }),
      entity: 'auditEvent',
      eventId: auditEventId,
      operationId: 'unsubscribeContact',
      occurredAt: now,
    });
    await put({
      ...keyOf('referralSummary', { contactId }),
      entity: 'referralSummary',
      contactId,
      requests: 2,
    });
    const newEmail = `new-${randomUUID()}@example.net`;
    await put({
      ...keyOf('pendingEmailChange', { contactId }),
      entity: 'pendingEmailChange',
      contactId,
      changeId: newId(),
      newEmail,
      newEmailHash: hashEmail(runtime.config.emailHashSecret, newEmail),
      requestedAt: now,
    });
    return { email, name, contactId, emailHash, newEmail, messageId: sent.message.messageId, auditEventId };
  }

  /**
   * What the contact does through the public API that writes outside their partition: a referral (an
   * invitation item, a rate-limit counter) and a self-service data request (another counter).
   */
  async function givenReferralAndDataRequest(contactId: string) {
    const preferences = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    const app = publicAppFor(runtime);
    const friend = `friend-${randomUUID()}@example.net`;
    const referral = await app.request('/v1/referrals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: preferences, friendEmail: friend, firstName: 'Zeb' }),
    });
    expect(referral.status).toBe(202);
    await untilRequestsProcessed(runtime);
    expect(await sentMailTo(friend)).toHaveLength(1);
    const dataRequest = await app.request('/v1/data-requests', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: preferences, kind: 'download', locale: 'en' }).toString(),
    });
    expect(dataRequest.status).toBe(200);
  }

  /**
   * What the operator does that leaves the person's data outside their partition or pending: a send with an
   * Idempotency-Key (the stored answer holds the subject) and an address change waiting for confirmation.
   * Run after givenFullContact, whose complaint makes the marketing send a refusal (stored all the same).
   */
  async function givenKeyedSendAndAddressChange(contact: { contactId: string; name: string }) {
    const keyed = await admin('/admin/v1/messages', {
      method: 'POST',
      headers: { 'idempotency-key': `erase-${randomUUID()}` },
      body: JSON.stringify({
        contactId: contact.contactId,
        kind: 'marketing',
        listId: 'rights-news',
        subject: `An offer for ${contact.name}`,
        text: 'Hello',
      }),
    });
    // Refused (the address complained), and the refusal, naming the person in its subject, is stored too.
    expect(keyed.status).toBe(422);
    const changedEmail = `changed-${randomUUID()}@example.net`;
    const change = await admin(`/admin/v1/contacts/${contact.contactId}`, {
      method: 'PATCH',
      body: JSON.stringify({ email: changedEmail }),
    });
    expect(change.status).toBe(202);
    expect(await sentMailTo(changedEmail)).toHaveLength(1);
    return { changedEmail };
  }

  it('exports everything held about a contact', async () => {
    const contact = await givenFullContact();
    const response = await admin(`/admin/v1/contacts/${contact.contactId}/export`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, Json[] & Json>;
    expect(body.format).toBe('consent-mail.contact-export.v1');
    expect(body.contactId).toBe(contact.contactId);
    expect(body.profile).toMatchObject({
      email: contact.email,
      name: contact.name,
    });
    expect(body.subscriptions).toEqual([
      expect.objectContaining({ listId: 'rights-news', status: 'confirmed' }),
    ]);
    const ledger = body.consentLedger as Json[];
    expect(ledger.map((event) => event.kind)).toEqual(['opt-in-requested', 'confirmed', 'tracking-granted']);
    expect(ledger[0]?.evidence).toMatchObject({ ip: READER_IP, userAgent: CHROME });
    const messages = body.messages as Json[];
    expect(messages.map((message) => message.purpose ?? message.kind)).toEqual(['confirmation', 'marketing']);
    const marketing = messages.find((message) => message.messageId === contact.messageId);
    expect(marketing).toMatchObject({ status: 'sent', listId: 'rights-news' });
    const headers = (marketing?.headers ?? []) as { name: string }[];
    expect(headers.map((header) => header.name)).toContain('List-Unsubscribe');
    expect(marketing?.retainedUntil).toEqual(expect.any(String));
    expect(body.opens).toEqual([expect.objectContaining({ messageId: contact.messageId })]);
    expect(body.suppressions).toEqual([
      expect.objectContaining({ emailHash: contact.emailHash, reason: 'complaint' }),
    ]);
    expect(body.auditEvents).toEqual([expect.objectContaining({ eventId: contact.auditEventId })]);
    expect(body.referrals).toMatchObject({ requests: 2 });
    expect(body.pendingEmailChange).toMatchObject({ newEmail: contact.newEmail });
    expect(body.other).toEqual([]);
    expect(JSON.stringify(body)).not.toMatch(/"(pk|sk|gsi1pk|gsi2pk|gsi3pk)"/);
  });

  it('answers 404 for an unknown contact', async () => {
    expect((await admin(`/admin/v1/contacts/${newId()}/export`)).status).toBe(404);
    expect((await admin(`/admin/v1/contacts/${newId()}/erase`, { method: 'POST' })).status).toBe(404);
  });

  it('erases a contact: no trace of the address or name anywhere, the hash blocks re-mailing', async () => {
    const contact = await givenFullContact();
    await givenReferralAndDataRequest(contact.contactId);
    const { changedEmail } = await givenKeyedSendAndAddressChange(contact);
    const response = await admin(`/admin/v1/contacts/${contact.contactId}/erase`, { method: 'POST' });
    expect(response.status).toBe(200);
    const receipt = (await response.json()) as Json;
    expect(receipt).toMatchObject({
      erasureId: expect.any(String),
      erasedAt: expect.any(String),
      itemsDeleted: expect.any(Number),
      itemsAnonymised: expect.any(Number),
    });
    // profile, lookup, subscription, open, referrals, email change, the keyed send's stored answer
    expect(receipt.itemsDeleted).toBe(7);
    // 3 ledger events, 5 messages (confirmation, marketing, data request, keyed send, address-change
    // confirmation; the `erased` event is written without personal data) and the rights request the
    // self-service data request opened (kept as proof, without personal data)
    expect(receipt.itemsAnonymised).toBe(9);

    const items: Json[] = await scanAllItems(runtime);
    const everything = JSON.stringify(items).toLowerCase();
    const local = contact.email.split('@')[0]?.toLowerCase() ?? '';
    const [first = '', last = ''] = contact.name.split(' ');
    const changedLocal = changedEmail.split('@')[0] ?? '';
    for (const needle of [contact.email, local, contact.newEmail, changedLocal, contact.name, first, last]) {
      expect(everything).not.toContain(needle.toLowerCase());
    }
    expect(
      items.filter((item) => item.pk === `CONTACT#${contact.contactId}` && item.sk === 'PROFILE'),
    ).toEqual([]);
    expect(items.filter((item) => item.pk === `EMAIL#${contact.emailHash}`)).toEqual([]);
    // The opaque id is left only where docs/rights.md says: the anonymised partition, the audit trail and
    // the anonymised rights request (the proof it was answered); not in the referral invitation, nor in a
    // rate-limit counter's key.
    const elsewhere = items.filter(
      (item) =>
        JSON.stringify(item).includes(contact.contactId) &&
        item.pk !== `CONTACT#${contact.contactId}` &&
        item.entity !== 'auditEvent' &&
        !(item.entity === 'rightsRequest' && typeof item.anonymisedAt === 'string'),
    );
    expect(elsewhere).toEqual([]);
    // Nothing left in the partition says where the person was or what they used.
    const partition = JSON.stringify(items.filter((item) => item.pk === `CONTACT#${contact.contactId}`));
    expect(partition).not.toContain(READER_IP);
    expect(partition).not.toContain('Chrome');
    expect(partition).not.toContain('example.com/signup');
    const ledger = items.filter(
      (item) => item.entity === 'consentEvent' && item.pk === `CONTACT#${contact.contactId}`,
    );
    expect(ledger.map((event) => event.kind)).toEqual([
      'opt-in-requested',
      'confirmed',
      'tracking-granted',
      'erased',
    ]);
    expect(ledger[0]?.evidence).toEqual({
      consentText: expect.objectContaining({ version: 1, sha256: expect.any(String) }),
      // How the wording is known identifies nobody: it stays with the proof.
      evidenceKind: 'client-declared',
      trackingConsent: true,
    });

    expect(await findSuppression(accessOf(runtime), contact.emailHash)).toMatchObject({
      reason: 'erased',
      scope: 'all',
    });
    const send = await admin('/admin/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        contactId: contact.contactId,
        kind: 'transactional',
        purpose: 'data-request',
        subject: 'Hi',
        html: '<p>Hi</p>',
      }),
    });
    expect(send.status).toBe(404);
    expect((await admin(`/admin/v1/contacts/${contact.contactId}/export`)).status).toBe(404);

    // Idempotent: a repeat answers the same receipt and changes nothing.
    const again = await admin(`/admin/v1/contacts/${contact.contactId}/erase`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(receipt);

    // A fresh signup with the same address is a new person, through double opt-in.
    const mailsBefore = (await sentMailTo(contact.email)).length;
    const newContactId = await signUpAndConfirm(contact.email, 'Someone New');
    expect(newContactId).not.toBe(contact.contactId);
    expect((await sentMailTo(contact.email)).length).toBe(mailsBefore + 1);
    expect(await findSuppression(accessOf(runtime), contact.emailHash)).toBeUndefined();
    const resent = await sendMessage(sendDependenciesOf(runtime), {
      recipient: { contactId: newContactId },
      draft: { kind: 'marketing', listId: 'rights-news', subject: 'Welcome back', html: '<p>Hello</p>' },
    });
    expect(resent.outcome).toBe('sent');
  });

  it('finishes an erasure that crashed half-way when run again', async () => {
    const contact = await givenFullContact();
    let transactions = 0;
    const crashing = {
      ...accessOf(runtime),
      documents: {
        send: (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'TransactWriteCommand' && ++transactions === 2) {
            return Promise.reject(new Error('simulated crash'));
          }
          return runtime.clients.documents.send(command as never);
        },
      } as unknown as Runtime['clients']['documents'],
    };
    await expect(
      eraseContact({ access: crashing, logger: runtime.logger }, contact.contactId, { requestedBy: 'test' }),
    ).rejects.toThrow('simulated crash');
    // Already suppressed, not yet gone.
    expect(await findSuppression(accessOf(runtime), contact.emailHash)).toMatchObject({ reason: 'erased' });
    expect(await recordsOf(runtime, contact.email)).toBeDefined();

    const receipt = await eraseContact(
      { access: accessOf(runtime), logger: runtime.logger },
      contact.contactId,
      {
        requestedBy: 'test',
      },
    );
    expect(receipt).toMatchObject({ itemsDeleted: 6, itemsAnonymised: 5 });
    expect(await recordsOf(runtime, contact.email)).toBeUndefined();
    const again = await eraseContact(
      { access: accessOf(runtime), logger: runtime.logger },
      contact.contactId,
      {
        requestedBy: 'test',
      },
    );
    expect(again).toEqual(receipt);
  });

  it('counts an erasure in progress until its profile is gone, and uncounts it once, after a crash too', async () => {
    const access = accessOf(runtime);
    const contact = await givenFullContact();
    const before = await readErasureCount(access);
    const crash = () => Promise.reject(new Error('simulated crash'));
    await expect(
      eraseContact({ access, logger: runtime.logger, crashAt: crash }, contact.contactId, {
        requestedBy: 'test',
      }),
    ).rejects.toThrow('simulated crash');
    // The profile is gone but the erasure still counts as in progress: campaign chunks keep checking.
    expect(await recordsOf(runtime, contact.email)).toBeUndefined();
    expect(await readErasureCount(access)).toEqual({
      ready: true,
      begun: before.begun + 1,
      trackingWithdrawals: before.trackingWithdrawals,
      inProgress: before.inProgress + 1,
    });
    // Asked again, it finds the profile gone and uncounts the erasure; a third time changes nothing.
    const receipt = await eraseContact({ access, logger: runtime.logger }, contact.contactId, {
      requestedBy: 'test',
    });
    expect(receipt).toBeDefined();
    expect(await readErasureCount(access)).toEqual({ ...before, begun: before.begun + 1 });
    await eraseContact({ access, logger: runtime.logger }, contact.contactId, { requestedBy: 'test' });
    expect(await readErasureCount(access)).toEqual({ ...before, begun: before.begun + 1 });
  });

  it('counts the erasures begun before the count existed, once (npm run count-erasures)', async () => {
    const access = accessOf(runtime);
    const contact = await givenFullContact();
    // An erasure record as the code before the count wrote it (step 1 done, nothing counted), on a table
    // whose count does not exist yet.
    await givenUncountedErasure(contact.contactId);
    await runtime.clients.documents.send(
      new DeleteCommand({ TableName: runtime.config.tableName, Key: primaryKeyOf('erasureCount', {}) }),
    );
    const missing = await readErasureCount(access);
    expect(missing.ready).toBe(false);
    expect(erasureMayHaveMissedRecords(missing, missing)).toBe(true);

    expect(await countErasuresInProgress(access)).toEqual({ counted: 1, uncounted: 0 });
    expect(await readErasureCount(access)).toMatchObject({ ready: true, inProgress: 1 });
    // Run again, it counts nobody twice.
    expect(await countErasuresInProgress(access)).toEqual({ counted: 0, uncounted: 0 });
    // The erasure, finished by a new run, is uncounted like any other.
    await eraseContact({ access, logger: runtime.logger }, contact.contactId, { requestedBy: 'test' });
    expect(await readErasureCount(access)).toMatchObject({ ready: true, inProgress: 0 });
  });

  it('an erasure whose uncounting fails is still done: the count stays high until it is asked again', async () => {
    const access = accessOf(runtime);
    const [person] = await givenConfirmedSubscribers(runtime, 'rights-news', 1, { label: 'uncount' });
    const contactId = person?.contactId ?? '';
    const before = await readErasureCount(access);
    // DynamoDB refuses the transaction that uncounts it, after the profile is gone (a throttle, a timeout).
    const clients = createAwsClients(runtime.config);
    clients.dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const items = (args.input as { TransactItems?: { Update?: { UpdateExpression?: string } }[] })
          .TransactItems;
        if (items?.[0]?.Update?.UpdateExpression === 'REMOVE #counted') throw new Error('simulated timeout');
        return next(args);
      },
      { step: 'initialize', name: 'failUncounting' },
    );
    const failing = { documents: clients.documents, tableName: runtime.config.tableName };
    const receipt = await eraseContact({ access: failing, logger: runtime.logger }, contactId, {
      requestedBy: 'test',
    });
    expect(receipt?.erasureId).toEqual(expect.any(String));
    expect(await readErasureCount(access)).toEqual({
      ready: true,
      begun: before.begun + 1,
      trackingWithdrawals: before.trackingWithdrawals,
      inProgress: before.inProgress + 1,
    });
    // Asked again, the erasure is uncounted (once).
    expect(
      await eraseContact({ access, logger: runtime.logger }, contactId, { requestedBy: 'test' }),
    ).toEqual(receipt);
    expect(await readErasureCount(access)).toEqual({ ...before, begun: before.begun + 1 });
  });

  it('a re-run of an erasure begun uncounted (an older version) counts it before its scan, and uncounts it once', async () => {
    const access = accessOf(runtime);
    const [person] = await givenConfirmedSubscribers(runtime, 'rights-news', 1, { label: 'recount' });
    const contactId = person?.contactId ?? '';
    // Step 1 as the code before the count wrote it (then it crashed): the record, nothing counted.
    await givenUncountedErasure(contactId);
    const before = await readErasureCount(access);
    const crash = () => Promise.reject(new Error('simulated crash'));
    await expect(
      eraseContact({ access, logger: runtime.logger, crashAt: crash }, contactId, { requestedBy: 'test' }),
    ).rejects.toThrow('simulated crash');
    // Counted by this run (campaign chunks check records while it is in progress), not yet uncounted.
    expect(await readErasureCount(access)).toEqual({
      ready: before.ready,
      begun: before.begun + 1,
      trackingWithdrawals: before.trackingWithdrawals,
      inProgress: before.inProgress + 1,
    });
    await eraseContact({ access, logger: runtime.logger }, contactId, { requestedBy: 'test' });
    await eraseContact({ access, logger: runtime.logger }, contactId, { requestedBy: 'test' });
    expect(await readErasureCount(access)).toEqual({ ...before, begun: before.begun + 1 });
  });

  it('count-erasures never marks the count ready over an erasure it failed to count', async () => {
    // An erasure record as the code before the count wrote it, on a table whose count does not exist yet.
    const contactId = newId();
    const record = { ...keyOf('erasureRecord', { contactId }), entity: 'erasureRecord', contactId };
    const put = (status: string) =>
      runtime.clients.documents.send(
        new PutCommand({ TableName: runtime.config.tableName, Item: { ...record, status } }),
      );
    await put('in-progress');
    await runtime.clients.documents.send(
      new DeleteCommand({ TableName: runtime.config.tableName, Key: primaryKeyOf('erasureCount', {}) }),
    );
    // DynamoDB cancels the transaction that counts it for a reason other than its condition (throttled).
    const clients = createAwsClients(runtime.config);
    clients.dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const items = (args.input as { TransactItems?: { Update?: { UpdateExpression?: string } }[] })
          .TransactItems;
        if (items?.[0]?.Update?.UpdateExpression === 'SET #counted = :true') {
          throw new TransactionCanceledException({
            message: 'Transaction cancelled [None, ThrottlingError]',
            $metadata: {},
            CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }],
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'cancelCounting' },
    );
    const throttled = { documents: clients.documents, tableName: runtime.config.tableName };
    await expect(countErasuresInProgress(throttled)).rejects.toThrow(TransactionCanceledException);
    // Not ready: campaign chunks keep checking every record.
    expect((await readErasureCount(accessOf(runtime))).ready).toBe(false);
    // Run again once DynamoDB answers, it counts the erasure and only then is ready.
    expect(await countErasuresInProgress(accessOf(runtime))).toEqual({ counted: 1, uncounted: 0 });
    expect(await readErasureCount(accessOf(runtime))).toMatchObject({ ready: true, inProgress: 1 });
    // Leave the table as it was: the erasure completed and uncounted.
    await put('completed');
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('erasureRecord', { contactId }),
        UpdateExpression: 'SET #counted = :true',
        ExpressionAttributeNames: { '#counted': 'counted' },
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    expect(await countErasuresInProgress(accessOf(runtime))).toEqual({ counted: 0, uncounted: 1 });
    expect(await readErasureCount(accessOf(runtime))).toMatchObject({ ready: true, inProgress: 0 });
  });

  it('requires double opt-in of an erased address even on a list without it', async () => {
    await givenList(runtime, { listId: 'single-news', doubleOptIn: false });
    const contact = await givenFullContact();
    await admin(`/admin/v1/contacts/${contact.contactId}/erase`, { method: 'POST' });
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: contact.email, lists: ['single-news'] }),
    });
    await untilRequestsProcessed(runtime);
    expect((await recordsOf(runtime, contact.email))?.subscriptions.get('single-news')?.status).toBe(
      'unconfirmed',
    );
    expect(await findSuppression(accessOf(runtime), contact.emailHash)).toMatchObject({ reason: 'erased' });
    const text = (await sentMailTo(contact.email)).at(-1)?.body.text ?? '';
    expect(text).toMatch(/\/v1\/confirm\?token=/);
  });

  it('keeps the suppression while a fresh signup is unconfirmed', async () => {
    const contact = await givenFullContact();
    await admin(`/admin/v1/contacts/${contact.contactId}/erase`, { method: 'POST' });
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: contact.email, lists: ['rights-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const records = await recordsOf(runtime, contact.email);
    expect(records?.subscriptions.get('rights-news')?.status).toBe('unconfirmed');
    expect(await findSuppression(accessOf(runtime), contact.emailHash)).toMatchObject({ reason: 'erased' });
  });
});
