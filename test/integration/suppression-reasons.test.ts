import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { processSesEvent, sesEventsDependencies } from '../../functions/ses-events/process-ses-event';
import { setAccount } from '../../shared/contacts/account-holder';
import { hashEmail } from '../../shared/email-address';
import { reapplyOptOuts } from '../../shared/restore/reapply-opt-outs';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { type FeedbackReason, putFeedbackSuppression } from '../../shared/suppressions/ses-feedback';
import { standingReasons } from '../../shared/suppressions/suppression-rule';
import { findSuppression } from '../../shared/suppressions/suppressions';
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
  async function sesReports(person: Person, fixture: 'complaint' | 'bounce-transient' | 'bounce-permanent') {
    const sent = await sendMessage(sendDependenciesOf(runtime), {
      recipient: { contactId: person.contactId },
      draft: { kind: 'marketing', listId: LIST, subject: 'News', text: 'The news.' },
    });
    // The second event is about mail sent before the first arrived: send it while the address is open.
    expect(sent.outcome).toBe('sent');
    return () =>
      processSesEvent(
        sesEventsDependencies(runtime),
        sesEventAbout(fixture, sent.message, person.email, LIST),
      );
  }

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
        const [firstEvent, secondEvent] = [await sesReports(person, first), await sesReports(person, second)];
        await firstEvent();
        await secondEvent();

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

    const rejoin = await publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: link,
        action: 'resubscribe',
        listId: LIST,
        consentTextVersion: '1',
        consentTextLocale: 'en',
      }).toString(),
    });
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
    const [complaint, bounce] = [
      await sesReports(person, 'complaint'),
      await sesReports(person, 'bounce-transient'),
    ];
    await complaint();
    await bounce();
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
    const [bounce, complaint] = [
      await sesReports(person, 'bounce-transient'),
      await sesReports(person, 'complaint'),
    ];
    await bounce();
    await complaint();
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
      const reports = async (fixture: 'complaint' | 'bounce-permanent') => {
        const sent = await sendMessage(sendDependenciesOf(live), {
          recipient: { contactId: person.contactId },
          draft: { kind: 'marketing', listId: LIST, subject: 'News', text: 'The news.' },
        });
        expect(sent.outcome).toBe('sent');
        return () =>
          processSesEvent(
            sesEventsDependencies(live),
            sesEventAbout(fixture, sent.message, person.email, LIST),
          );
      };
      const [bounce, complaint] = [await reports('bounce-permanent'), await reports('complaint')];
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
