import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { setDoNotSell } from '../../shared/contacts/do-not-sell';
import { primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { givenConfirmedSignup } from '../support/confirmed-signup';
import { accessOf, givenList, givenSuppression, recordsOf } from '../support/consent-fixtures';
import { formPosting } from '../support/html-form';
import { testStreamReader } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The preference page's "subscribe again" and a leave sent with Global Privacy Control are one transaction
 * with no read before it (issue 17): its conditions stand in for the reads. What changed between the page
 * and the click cancels it, and the choice is then read and decided as before: these are those races, as
 * the person sees them (the page's answer) and as the ledger and the state record them.
 */

const LIST = 'race-news';

describe('the preference page when something changed between the page and the click', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: LIST });
  });
  afterAll(async () => streamReader.stop());

  const post = (body: URLSearchParams, gpc = false) =>
    publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(gpc ? { 'sec-gpc': '1' } : {}) },
      body: body.toString(),
    });
  const kinds = async (email: string, wanted: string[]) =>
    ((await recordsOf(runtime, email))?.events ?? [])
      .map((event) => event.kind)
      .filter((kind) => wanted.includes(kind));

  async function givenSubscriber(prefix = 'race') {
    const subscriber = await givenConfirmedSignup(runtime, LIST, { trackingConsent: false, prefix });
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', {
      contactId: subscriber.contactId,
    });
    return { ...subscriber, token };
  }

  /** Someone who left the list, and the "subscribe again" form of the page they now look at. */
  async function givenPageAfterLeaving(prefix?: string) {
    const subscriber = await givenSubscriber(prefix);
    const { token } = subscriber;
    await post(new URLSearchParams({ token, action: 'unsubscribe', listId: LIST }));
    const page = await (await publicAppFor(runtime).request(`/v1/preferences?token=${token}`)).text();
    return { ...subscriber, rejoin: formPosting(page, { action: 'resubscribe', listId: LIST }) };
  }

  it('a complaint recorded after the page was shown: subscribing again lifts it, with one event of each', async () => {
    const person = await givenPageAfterLeaving();
    await givenSuppression(runtime, person.email, 'complaint');
    const response = await post(person.rejoin);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Done: you are subscribed to The race-news newsletter again.');
    expect((await recordsOf(runtime, person.email))?.subscriptions.get(LIST)?.status).toBe('confirmed');
    const emailHash = hashEmail(runtime.config.emailHashSecret, person.email);
    expect(await findSuppression(accessOf(runtime), emailHash)).toBeUndefined();
    expect(await kinds(person.email, ['resubscribed', 'suppression-lifted'])).toEqual([
      'resubscribed',
      'suppression-lifted',
    ]);
  });

  it('a hard bounce recorded after the page was shown: subscribed again, the bounce stays until a confirmed opt-in', async () => {
    const person = await givenPageAfterLeaving();
    await givenSuppression(runtime, person.email, 'hard-bounce');
    const response = await post(person.rejoin);
    expect(await response.text()).toContain('Done: you are subscribed to The race-news newsletter again.');
    expect((await recordsOf(runtime, person.email))?.subscriptions.get(LIST)?.status).toBe('confirmed');
    const emailHash = hashEmail(runtime.config.emailHashSecret, person.email);
    expect((await findSuppression(accessOf(runtime), emailHash))?.reason).toBe('hard-bounce');
    expect(await kinds(person.email, ['resubscribed', 'suppression-lifted'])).toEqual(['resubscribed']);
  });

  it('a hard bounce over an earlier complaint: subscribed again, the complaint beneath it lifted, the bounce stays', async () => {
    const person = await givenPageAfterLeaving();
    const emailHash = hashEmail(runtime.config.emailHashSecret, person.email);
    await givenSuppression(runtime, person.email, 'hard-bounce', 'all', [
      { reason: 'complaint', createdAt: new Date().toISOString() },
    ]);
    const response = await post(person.rejoin);
    expect(await response.text()).toContain('Done: you are subscribed to The race-news newsletter again.');
    const suppression = await findSuppression(accessOf(runtime), emailHash);
    expect(suppression?.reason).toBe('hard-bounce');
    expect(suppression?.underlying).toBeUndefined();
    expect(await kinds(person.email, ['resubscribed', 'suppression-lifted'])).toEqual([
      'resubscribed',
      'suppression-lifted',
    ]);
  });

  it('the same form sent from a second tab after the first: nothing changes the second time, one event', async () => {
    const person = await givenPageAfterLeaving();
    expect(await (await post(person.rejoin)).text()).toContain('Done: you are subscribed to');
    const again = await post(person.rejoin);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Nothing needed to change.');
    expect(await kinds(person.email, ['resubscribed'])).toEqual(['resubscribed']);
  });

  it('an erasure after the page was shown: the click gets the dead-link page and writes nothing', async () => {
    const person = await givenPageAfterLeaving();
    const access = accessOf(runtime);
    await eraseContact({ access, logger: runtime.logger }, person.contactId, { requestedBy: 'test' });
    const response = await post(person.rejoin);
    expect(response.status).toBe(400);
    const subscription = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('subscription', { contactId: person.contactId, listId: LIST }),
        ConsistentRead: true,
      }),
    );
    expect(subscription.Item).toBeUndefined();
    const emailHash = hashEmail(runtime.config.emailHashSecret, person.email);
    expect((await findSuppression(access, emailHash))?.reason).toBe('erased');
  });

  it("a form naming another address's hash touches nothing of that address: the person's own choice is read and decided", async () => {
    const person = await givenPageAfterLeaving();
    await givenSuppression(runtime, person.email, 'complaint');
    const other = await givenSubscriber('race-other');
    const otherHash = hashEmail(runtime.config.emailHashSecret, other.email);
    const forged = new URLSearchParams(person.rejoin);
    forged.set('emailHash', otherHash);
    expect(await (await post(forged)).text()).toContain('Done: you are subscribed to');
    expect((await recordsOf(runtime, person.email))?.subscriptions.get(LIST)?.status).toBe('confirmed');
    // The contact's condition refused the other address, so the person's own was read: their complaint
    // is lifted, as subscribing again lifts it, and nothing was decided on the other address.
    const personHash = hashEmail(runtime.config.emailHashSecret, person.email);
    expect(await findSuppression(accessOf(runtime), personHash)).toBeUndefined();
    expect(await kinds(person.email, ['suppression-lifted'])).toEqual(['suppression-lifted']);
    expect(await findSuppression(accessOf(runtime), otherHash)).toBeUndefined();
    expect(await kinds(other.email, ['suppression-lifted'])).toEqual([]);
  });

  describe('Global Privacy Control with a leave', () => {
    const leave = (token: string) => new URLSearchParams({ token, action: 'unsubscribe', listId: LIST });

    it('the opt-out already on record from an earlier choice: the leave is recorded, the opt-out not again', async () => {
      const person = await givenSubscriber();
      await post(new URLSearchParams({ token: person.token, action: 'tracking-off' }), true);
      expect(await kinds(person.email, ['sale-opted-out'])).toEqual(['sale-opted-out']);
      const response = await post(leave(person.token), true);
      expect(await response.text()).toContain('Done: you are unsubscribed from The race-news newsletter.');
      expect((await recordsOf(runtime, person.email))?.subscriptions.get(LIST)?.status).toBe('unsubscribed');
      expect(await kinds(person.email, ['sale-opted-out', 'unsubscribed'])).toEqual([
        'sale-opted-out',
        'unsubscribed',
      ]);
    });

    it("over the operator's opt-out: recorded as the browser's, with its own event", async () => {
      const person = await givenSubscriber();
      expect(await setDoNotSell(accessOf(runtime), person.contactId, true, 'admin', { apiKeyId: 'k1' })).toBe(
        'changed',
      );
      await post(leave(person.token), true);
      const records = await recordsOf(runtime, person.email);
      expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'global-privacy-control' });
      expect(records?.events.filter((event) => event.kind === 'sale-opted-out').map((e) => e.method)).toEqual(
        ['admin', 'preference-page'],
      );
    });

    it('a list already left: the answer says nothing changed, and the opt-out is still recorded, once', async () => {
      const person = await givenSubscriber();
      await post(leave(person.token));
      const response = await post(leave(person.token), true);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toContain('Done: you are unsubscribed');
      expect((await recordsOf(runtime, person.email))?.contact.doNotSell).toBe(true);
      await post(leave(person.token), true);
      expect(await kinds(person.email, ['sale-opted-out', 'unsubscribed'])).toEqual([
        'unsubscribed',
        'sale-opted-out',
      ]);
    });

    it('a list that is not theirs: refused, and the opt-out the signal carries is still recorded', async () => {
      const person = await givenSubscriber();
      const foreign = new URLSearchParams({
        token: person.token,
        action: 'unsubscribe',
        listId: 'not-theirs',
      });
      expect((await post(foreign, true)).status).toBe(400);
      expect(await kinds(person.email, ['sale-opted-out', 'unsubscribed'])).toEqual(['sale-opted-out']);
    });
  });
});
