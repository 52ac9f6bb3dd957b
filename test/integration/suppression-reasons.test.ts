import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { processSesEvent, sesEventsDependencies } from '../../functions/ses-events/process-ses-event';
import { setAccount } from '../../shared/contacts/account-holder';
import { primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { reapplyOptOuts } from '../../shared/restore/reapply-opt-outs';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { type FeedbackReason, putFeedbackSuppression } from '../../shared/suppressions/ses-feedback';
import { standingReasons } from '../../shared/suppressions/suppression-rule';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { tokenIn } from '../support/consent-requests';
import { restoredCopyOf } from '../support/restored-table';
import { sentMailTo } from '../support/sent-mail';
import { sesEventAbout } from '../support/ses-event-fixtures';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * One address, several reasons (docs/suppressions.md): whatever order a person's complaint, their
 * mailbox's bounces and the operator's block come in, by SES feedback or by a restore's re-apply, every
 * reason stands and the strongest decides; lifting one leaves the others. Observed as the operator sees
 * it: what the admin API's send answers, and what its suppression list shows.
 */

const LIST = 'weekly-news';

interface Person {
  email: string;
  contactId: string;
  emailHash: string;
}

describe('an address with several reasons to be suppressed', () => {
  let runtime: Runtime;

  beforeAll(async () => {
    // One transient bounce is enough to suppress (`soft-bounces`), so each ordering is two events.
    runtime = await createTestRuntime({ SOFT_BOUNCE_LIMIT: '1' });
    await givenList(runtime, { listId: LIST });
  });

  async function givenAccountHolder(on: Runtime, label: string): Promise<Person> {
    const [person] = await givenConfirmedSubscribers(on, LIST, 1, { label });
    const contactId = person?.contactId ?? '';
    await setAccount(accessOf(on), contactId, { accountHolder: true, accountStatus: 'active' }, {});
    const email = person?.email ?? '';
    return { email, contactId, emailHash: hashEmail(on.config.emailHashSecret, email) };
  }

  /** SES reports `fixture` about a marketing email really sent to the person, through the ses-events function. */
  async function sesReports(
    person: Person,
    fixture: 'complaint' | 'bounce-transient' | 'bounce-permanent',
    on: Runtime = runtime,
  ) {
    const sent = await sendMessage(sendDependenciesOf(on), {
      recipient: { contactId: person.contactId },
      draft: { kind: 'marketing', listId: LIST, subject: 'News', text: 'The news.' },
    });
    // The second event is about mail sent before the first arrived: send it while the address is open.
    expect(sent.outcome).toBe('sent');
    return () =>
      processSesEvent(sesEventsDependencies(on), sesEventAbout(fixture, sent.message, person.email, LIST));
  }

  /** SES reports each of `fixtures` in turn, about emails all sent while the address was still open. */
  async function sesReportsInTurn(person: Person, ...fixtures: Parameters<typeof sesReports>[1][]) {
    const reports = [];
    for (const fixture of fixtures) reports.push(await sesReports(person, fixture));
    for (const report of reports) await report();
  }

  /** "Subscribe again" to the list from the preference page its link opens, as the page's form posts it. */
  const subscribeAgain = (preferenceToken: string) =>
    publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: preferenceToken,
        action: 'resubscribe',
        listId: LIST,
        consentTextVersion: '1',
        consentTextLocale: 'en',
      }).toString(),
    });

  /** What the admin API answers for an email of `kind` to the person: 202, or the refusal codes. */
  async function sendThroughTheApi(on: Runtime, person: Person, draft: Record<string, unknown>) {
    const response = await adminRequest(on, '/admin/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: person.contactId, subject: 'Hello', text: 'Plain words.', ...draft }),
    });
    if (response.status === 202) return 'sent';
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { details?: { code: string }[] } };
    return (error.details ?? []).map((detail) => detail.code);
  }

  const marketing = { kind: 'marketing', listId: LIST };
  const maintenance = { kind: 'announcement', category: 'maintenance' };
  const securityNotice = { kind: 'announcement', category: 'security-notice' };

  /** The person's entry on the admin API's suppression list. */
  async function listed(on: Runtime, person: Person) {
    const response = await adminRequest(on, '/admin/v1/suppressions?limit=500');
    expect(response.status).toBe(200);
    const { suppressions } = (await response.json()) as {
      suppressions: { suppressionId: string; reason: string; underlying?: { reason: string }[] }[];
    };
    const entry = suppressions.find((each) => each.suppressionId === person.emailHash);
    return (
      entry && { reason: entry.reason, underlying: (entry.underlying ?? []).map(({ reason }) => reason) }
    );
  }

  describe('by SES feedback', () => {
    it.each([
      ['a complaint, then soft bounces', 'complaint', 'bounce-transient'],
      ['soft bounces, then a complaint', 'bounce-transient', 'complaint'],
    ] as const)(
      '%s: nothing is sent, not even a security notice, and the complaint stays on record',
      async (_, first, second) => {
        const person = await givenAccountHolder(runtime, `ses-${first}`);
        await sesReportsInTurn(person, first, second);

        expect(await sendThroughTheApi(runtime, person, marketing)).toContain('suppressed');
        expect(await sendThroughTheApi(runtime, person, maintenance)).toEqual(['suppressed']);
        // The mailbox does not take mail: a security notice would only bounce again.
        expect(await sendThroughTheApi(runtime, person, securityNotice)).toEqual(['suppressed']);
        expect(await listed(runtime, person)).toEqual({ reason: 'soft-bounces', underlying: ['complaint'] });
      },
    );

    it("lifting the operator's block leaves a complaint that came under it: security notices only", async () => {
      const person = await givenAccountHolder(runtime, 'blocked-then-complained');
      const complaint = await sesReports(person, 'complaint');
      const block = await adminRequest(runtime, '/admin/v1/suppressions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contactId: person.contactId, note: 'Asked by phone.' }),
      });
      expect(block.status).toBe(201);
      await complaint();
      expect(await listed(runtime, person)).toEqual({ reason: 'admin', underlying: ['complaint'] });

      const lift = await adminRequest(runtime, `/admin/v1/suppressions/${person.emailHash}`, {
        method: 'DELETE',
      });
      expect(lift.status).toBe(200);
      expect(await listed(runtime, person)).toEqual({ reason: 'complaint', underlying: [] });
      expect(await sendThroughTheApi(runtime, person, marketing)).toContain('suppressed');
      expect(await sendThroughTheApi(runtime, person, maintenance)).toEqual([
        'complaint_allows_security_notices_only',
      ]);
      expect(await sendThroughTheApi(runtime, person, securityNotice)).toBe('sent');
    });
  });

  it('"subscribe again" from the person\'s own preference link lifts their complaint, never the soft bounces', async () => {
    const person = await givenAccountHolder(runtime, 'rejoining');
    const [bounce, complaint] = [
      await sesReports(person, 'bounce-transient'),
      await sesReports(person, 'complaint'),
    ];
    const link = tokenIn((await sentMailTo(person.email)).at(-1)?.body.text, 'preferences');
    await bounce();
    await complaint();

    const rejoin = await subscribeAgain(link);
    expect(rejoin.status).toBe(200);
    // The person chose the list again; the mailbox still takes nothing.
    expect(await listed(runtime, person)).toEqual({ reason: 'soft-bounces', underlying: [] });
    expect(await sendThroughTheApi(runtime, person, marketing)).toEqual(['suppressed']);
  });

  it('feedback about mail sent before an erasure, arriving after it, suppresses the address and names no one', async () => {
    const person = await givenAccountHolder(runtime, 'erased-late');
    const [complaint, bounce] = [
      await sesReports(person, 'complaint'),
      await sesReports(person, 'bounce-permanent'),
    ];
    await eraseContact({ access: accessOf(runtime), logger: runtime.logger }, person.contactId, {
      requestedBy: 'test',
    });
    await complaint();
    await bounce();
    const entry = await findSuppression(accessOf(runtime), person.emailHash);
    expect(entry && standingReasons(entry).map(({ reason }) => reason)).toEqual([
      'hard-bounce',
      'erased',
      'complaint',
    ]);
    // No contact or message id of the erased person is written back beside the address's hash.
    expect(JSON.stringify(entry)).not.toContain(person.contactId);
    expect(JSON.stringify(entry)).not.toMatch(/contactId|messageId/);
  });

  it("a contact's export shows why their address is suppressed, not the ids the feedback named", async () => {
    const person = await givenAccountHolder(runtime, 'export');
    await sesReportsInTurn(person, 'complaint', 'bounce-transient');
    const response = await adminRequest(runtime, `/admin/v1/contacts/${person.contactId}/export`);
    expect(response.status).toBe(200);
    const { suppressions } = (await response.json()) as { suppressions: Record<string, unknown>[] };
    expect(suppressions).toMatchObject([
      { reason: 'soft-bounces', underlying: [{ reason: 'complaint', createdAt: expect.any(String) }] },
    ]);
    expect(JSON.stringify(suppressions)).not.toMatch(/contactId|messageId/);
  });

  it('moving to a new address takes the complaint along, never the bounce beneath or above it', async () => {
    const person = await givenAccountHolder(runtime, 'moving');
    await sesReportsInTurn(person, 'bounce-transient', 'complaint');
    const newEmail = `moved-${randomUUID()}@example.org`;
    const change = await adminRequest(runtime, `/admin/v1/contacts/${person.contactId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: newEmail }),
    });
    expect(change.status).toBe(202);
    const token = tokenIn((await sentMailTo(newEmail)).at(-1)?.body.text, 'email-change');
    const confirmed = await publicAppFor(runtime).request('/v1/email-change', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);

    const moved = {
      ...person,
      email: newEmail,
      emailHash: hashEmail(runtime.config.emailHashSecret, newEmail),
    };
    expect(await listed(runtime, moved)).toEqual({ reason: 'complaint', underlying: [] });
    // What was about the old address's feedback (its contact and message ids) stays there.
    const carried = await findSuppression(accessOf(runtime), moved.emailHash);
    expect(carried?.contactId).toBeUndefined();
    expect(carried?.messageId).toBeUndefined();
    expect(await listed(runtime, person)).toEqual({ reason: 'soft-bounces', underlying: ['complaint'] });
    expect(await sendThroughTheApi(runtime, moved, maintenance)).toEqual([
      'complaint_allows_security_notices_only',
    ]);
    expect(await sendThroughTheApi(runtime, moved, securityNotice)).toBe('sent');
  });

  /** The admin API's answer to `method` on `path`, with a JSON body. */
  const adminCall = (path: string, method: string, body?: unknown) =>
    adminRequest(runtime, path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** The address's suppression item exactly as stored, every attribute. */
  async function storedEntry(person: Person) {
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('suppression', { emailHash: person.emailHash }),
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  /** The person's data the entry must not hold after their erasure: no such attribute, and no such value. */
  function expectNothingPersonal(entry: Record<string, unknown> | undefined, ...values: string[]) {
    expect(entry).toBeDefined();
    const reasons = [entry, ...((entry?.underlying as Record<string, unknown>[]) ?? [])];
    for (const reason of reasons) {
      for (const field of ['email', 'note', 'contactId', 'messageId', 'sourceEventId']) {
        expect(reason, field).not.toHaveProperty(field);
      }
    }
    const stored = JSON.stringify(entry);
    for (const value of values) expect(stored).not.toContain(value);
  }

  describe('erasure', () => {
    it('adds `erased` under a hard bounce and keeps nothing of the person; "subscribe again" after a re-import leaves the bounce', async () => {
      const person = await givenAccountHolder(runtime, 'erased-bounced');
      await (await sesReports(person, 'bounce-permanent'))();
      expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: [] });

      expect((await adminCall(`/admin/v1/contacts/${person.contactId}/erase`, 'POST')).status).toBe(200);
      expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: ['erased'] });
      expectNothingPersonal(await storedEntry(person), person.email, person.contactId);

      // The operator imports the person again; their subscription is held until they opt in.
      const optIn = { at: '2024-03-01T10:00:00Z', source: 'https://crm.example.com/', consentTextVersion: 1 };
      const imported = await adminCall('/admin/v1/contacts', 'POST', {
        email: person.email,
        lists: [{ listId: LIST, optIn }],
      });
      expect(imported.status).toBe(201);
      const again = {
        ...person,
        contactId: (await recordsOf(runtime, person.email))?.contact.contactId ?? '',
      };
      // They subscribe again from a preference link: their erasure is lifted, the mailbox still bounces.
      const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', {
        contactId: again.contactId,
      });
      const rejoin = await subscribeAgain(token);
      expect(rejoin.status).toBe(200);
      expect((await recordsOf(runtime, person.email))?.subscriptions.get(LIST)?.status).toBe('confirmed');
      expect(await listed(runtime, again)).toEqual({ reason: 'hard-bounce', underlying: [] });
      expect(await sendThroughTheApi(runtime, again, marketing)).toEqual(['suppressed']);
    });

    it("keeps the operator's block over the erasure, without the address or the note; lifting it leaves the erasure and the complaint", async () => {
      const person = await givenAccountHolder(runtime, 'erased-blocked');
      const complaint = await sesReports(person, 'complaint');
      const note = `Asked by phone, said their name was ${person.email}.`;
      expect(
        (await adminCall('/admin/v1/suppressions', 'POST', { contactId: person.contactId, note })).status,
      ).toBe(201);
      await complaint();

      expect((await adminCall(`/admin/v1/contacts/${person.contactId}/erase`, 'POST')).status).toBe(200);
      expect(await listed(runtime, person)).toEqual({ reason: 'admin', underlying: ['erased', 'complaint'] });
      const stored = await storedEntry(person);
      expectNothingPersonal(stored, person.email, person.contactId, 'Asked by phone');
      expect(stored?.createdBy).toBe('apiKey:development');
      const page = await adminCall('/admin/v1/suppressions?reason=admin&limit=500', 'GET');
      const { suppressions } = (await page.json()) as { suppressions: Record<string, unknown>[] };
      expect(suppressions.find((entry) => entry.suppressionId === person.emailHash)).toMatchObject({
        email: null,
        note: null,
        createdBy: 'apiKey:development',
      });

      expect((await adminCall(`/admin/v1/suppressions/${person.emailHash}`, 'DELETE')).status).toBe(200);
      expect(await listed(runtime, person)).toEqual({ reason: 'erased', underlying: ['complaint'] });
    });

    it('a bounce reported after the erasure is added by the hash alone, naming nobody', async () => {
      const person = await givenAccountHolder(runtime, 'bounced-after-erasure');
      const bounce = await sesReports(person, 'bounce-permanent');
      expect((await adminCall(`/admin/v1/contacts/${person.contactId}/erase`, 'POST')).status).toBe(200);
      await bounce();
      expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: ['erased'] });
      expectNothingPersonal(await storedEntry(person), person.email, person.contactId);
    });

    /** Erases the person as the admin route does, processing `bounce` right after the first `after` command. */
    async function eraseWith(
      person: Person,
      bounce: () => Promise<unknown>,
      after: (command: unknown) => boolean,
    ) {
      const access = accessOf(runtime);
      let bounced = false;
      const documents = new Proxy(access.documents, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver);
          return async (command: unknown) => {
            const answer = await target.send(command as never);
            if (!bounced && after(command)) {
              bounced = true;
              await bounce();
            }
            return answer;
          };
        },
      });
      await eraseContact({ access: { ...access, documents }, logger: runtime.logger }, person.contactId, {
        requestedBy: 'test',
      });
      expect(bounced).toBe(true);
    }

    it('a hard bounce processed while the erasure begins stands above `erased`, stripped too', async () => {
      const person = await givenAccountHolder(runtime, 'bounced-while-erased');
      const entryKey = JSON.stringify(primaryKeyOf('suppression', { emailHash: person.emailHash }));
      // Right after the erasure's first read of the address's suppression (none), the bounce is processed.
      await eraseWith(
        person,
        await sesReports(person, 'bounce-permanent'),
        (command) => command instanceof GetCommand && JSON.stringify(command.input.Key) === entryKey,
      );
      expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: ['erased'] });
      expectNothingPersonal(await storedEntry(person), person.email, person.contactId);
    });

    it("a hard bounce processed after the erasure's first step, its email not yet anonymised, is stripped at the end", async () => {
      const person = await givenAccountHolder(runtime, 'bounced-after-first-step');
      await eraseWith(
        person,
        await sesReports(person, 'bounce-permanent'),
        (command) => command instanceof TransactWriteCommand,
      );
      expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: ['erased'] });
      expectNothingPersonal(await storedEntry(person), person.email, person.contactId);
    });
  });

  it("the operator's block goes over a hard bounce and an erasure; lifting it leaves them", async () => {
    const person = await givenAccountHolder(runtime, 'blocked-over-bounce');
    await (await sesReports(person, 'bounce-permanent'))();
    const block = await adminCall('/admin/v1/suppressions', 'POST', {
      contactId: person.contactId,
      note: 'Asked by phone.',
    });
    expect(block.status).toBe(201);
    expect(await block.json()).toMatchObject({
      reason: 'admin',
      underlying: [{ reason: 'hard-bounce' }],
      contactId: person.contactId,
    });
    expect(await listed(runtime, person)).toEqual({ reason: 'admin', underlying: ['hard-bounce'] });
    expect(await sendThroughTheApi(runtime, person, securityNotice)).toEqual(['suppressed']);
    // A second block changes nothing.
    const twice = await adminCall('/admin/v1/suppressions', 'POST', { email: person.email, note: 'Again.' });
    expect(twice.status).toBe(409);
    expect(await listed(runtime, person)).toEqual({ reason: 'admin', underlying: ['hard-bounce'] });

    expect((await adminCall(`/admin/v1/suppressions/${person.emailHash}`, 'DELETE')).status).toBe(200);
    expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: [] });
    expect(await sendThroughTheApi(runtime, person, securityNotice)).toEqual(['suppressed']);

    // After an erasure, the block goes over it too, and lifting it leaves both.
    expect((await adminCall(`/admin/v1/contacts/${person.contactId}/erase`, 'POST')).status).toBe(200);
    const overErasure = await adminCall('/admin/v1/suppressions', 'POST', {
      email: person.email,
      note: 'Never again.',
    });
    expect(overErasure.status).toBe(201);
    expect(await listed(runtime, person)).toEqual({
      reason: 'admin',
      underlying: ['hard-bounce', 'erased'],
    });
    expect((await adminCall(`/admin/v1/suppressions/${person.emailHash}`, 'DELETE')).status).toBe(200);
    expect(await listed(runtime, person)).toEqual({ reason: 'hard-bounce', underlying: ['erased'] });
  });

  describe("by a restore's re-apply", () => {
    /**
     * The restored table got `restoredHas` after the switch-over; the old table got `lost` after the
     * restore point. The re-apply brings the lost one in.
     */
    async function afterRestore(restoredHas: FeedbackReason, lost: FeedbackReason | 'admin') {
      const live = await createTestRuntime();
      await givenList(live, { listId: LIST });
      const person = await givenAccountHolder(live, `restore-${restoredHas}-${lost}`);
      const restored = await restoredCopyOf(live);
      const since = new Date();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const feedback = (on: Runtime, reason: FeedbackReason) =>
        on.clients.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              putFeedbackSuppression(accessOf(on), {
                emailHash: person.emailHash,
                reason,
                createdAt: new Date().toISOString(),
                sourceEventId: `ses-${reason}`,
                contactId: person.contactId,
                messageId: `msg-${reason}`,
              }),
            ],
          }),
        );
      if (lost === 'admin') {
        const block = await adminRequest(live, '/admin/v1/suppressions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ contactId: person.contactId, note: 'Asked by phone.' }),
        });
        expect(block.status).toBe(201);
      } else {
        await feedback(live, lost);
      }
      await feedback(restored, restoredHas);
      await reapplyOptOuts(
        { source: accessOf(live), target: accessOf(restored), logger: live.logger },
        since,
      );
      return { restored, person };
    }

    it('a complaint that came beneath a bounce after the restore point comes back with its ledger event', async () => {
      const live = await createTestRuntime();
      await givenList(live, { listId: LIST });
      const person = await givenAccountHolder(live, 'restore-ledger');
      const [bounce, complaint] = [
        await sesReports(person, 'bounce-permanent', live),
        await sesReports(person, 'complaint', live),
      ];
      await bounce();
      const restored = await restoredCopyOf(live);
      const since = new Date();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await complaint();
      await reapplyOptOuts(
        { source: accessOf(live), target: accessOf(restored), logger: live.logger },
        since,
      );

      expect(await listed(restored, person)).toEqual({ reason: 'hard-bounce', underlying: ['complaint'] });
      const suppressedEvents = ((await recordsOf(restored, person.email))?.events ?? [])
        .filter((event) => event.kind === 'suppressed')
        .map((event) => event.evidence.suppressionReason);
      expect(suppressedEvents).toEqual(['hard-bounce', 'complaint']);
    });

    it.each([
      // The old ranking by scope kept `soft-bounces` alone: the complaint was lost.
      [
        'soft bounces',
        'a complaint',
        'soft-bounces',
        'complaint',
        { reason: 'soft-bounces', underlying: ['complaint'] },
      ],
      // The old ranking by scope replaced the complaint by `soft-bounces`: the complaint was lost.
      [
        'a complaint',
        'soft bounces',
        'complaint',
        'soft-bounces',
        { reason: 'soft-bounces', underlying: ['complaint'] },
      ],
      // Same scope: the old ranking kept `soft-bounces`, where SES feedback writes `hard-bounce`.
      [
        'soft bounces',
        'a hard bounce',
        'soft-bounces',
        'hard-bounce',
        { reason: 'hard-bounce', underlying: ['soft-bounces'] },
      ],
    ] as const)(
      'the restored table had %s, the old one %s: both stand, the strongest on top',
      async (_a, _b, restoredHas, lost, expected) => {
        const { restored, person } = await afterRestore(restoredHas, lost);
        expect(await listed(restored, person)).toEqual(expected);
        expect(await sendThroughTheApi(restored, person, securityNotice)).toEqual(['suppressed']);
      },
    );

    it("the operator's block lost by the restore comes back over a bounce, and lifting it leaves the bounce", async () => {
      const { restored, person } = await afterRestore('hard-bounce', 'admin');
      // The old ranking by scope kept the bounce alone: the operator's block was gone.
      expect(await listed(restored, person)).toEqual({ reason: 'admin', underlying: ['hard-bounce'] });
      const lift = await adminRequest(restored, `/admin/v1/suppressions/${person.emailHash}`, {
        method: 'DELETE',
      });
      expect(lift.status).toBe(200);
      expect(await listed(restored, person)).toEqual({ reason: 'hard-bounce', underlying: [] });
      expect(await sendThroughTheApi(restored, person, securityNotice)).toEqual(['suppressed']);
    });
  });
});
