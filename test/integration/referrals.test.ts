import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { processSesEvent, sesEventsDependencies } from '../../functions/ses-events/process-ses-event';
import { createAwsClients } from '../../shared/aws-clients';
import { keyOf, primaryKeyOf } from '../../shared/data-model';
import { canonicalEmail, canonicalMailbox, hashEmail } from '../../shared/email-address';
import type { ErrorBody } from '../../shared/http/error-responses';
import { referrerHashOf } from '../../shared/referrals/referrals';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { testCampaignRunner } from '../support/campaigns';
import {
  countItems,
  givenList,
  givenSuppression,
  recordsOf,
  scanAllItems,
} from '../support/consent-fixtures';
import { loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { sentMailTo } from '../support/sent-mail';
import { untilRequestsProcessed } from '../support/stream';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

describe('refer a friend (createReferral)', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
    // Referrals are accepted in one write and processed on the table's stream, as on AWS.
    streamReader = await testCampaignRunner(runtime);
  });
  afterAll(async () => streamReader.stop());

  const tokens = () => createTokenSigner(runtime.config.signingKeys);
  const newFriend = () => `grace.hopper-${randomUUID()}@example.net`;

  /** Signs someone up through the public API, confirms them (unless asked not to), and returns their footer token. */
  async function givenSubscriber(options: { confirm?: boolean } = {}) {
    const email = `ada.lovelace-${randomUUID()}@example.org`;
    const app = publicAppFor(runtime);
    await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'], name: 'Ada Lovelace' }),
    });
    await untilRequestsProcessed(runtime);
    if (options.confirm !== false) {
      const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
      await app.request('/v1/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
    }
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const token = tokens().sign('preferences', { contactId, messageId: 'msg-1' });
    return { email, contactId, token };
  }

  /** A referral as a caller makes it; resolves once the stream has processed what it accepted. */
  const refer = async (body: Record<string, unknown>) => {
    const response = await publicAppFor(runtime).request('/v1/referrals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await untilRequestsProcessed(runtime);
    return response;
  };
  const referForm = async (fields: Record<string, string>) => {
    const response = await publicAppFor(runtime).request('/v1/referrals', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams(fields).toString(),
    });
    await untilRequestsProcessed(runtime);
    return response;
  };

  const scanAll = () => scanAllItems(runtime);

  const optOutLinkIn = (text: string) =>
    /(http:\/\/localhost:3000\/v1\/referrals\/opt-out\?token=[\w.-]+&locale=\w+)/.exec(text)?.[1];

  it('sends one invitation naming the referrer only by the first name given, with the footer and an opt-out link', async () => {
    const referrer = await givenSubscriber();
    const friend = newFriend();
    const response = await refer({
      token: referrer.token,
      friendEmail: friend,
      firstName: 'Ada',
      note: 'You will love the <b>weekly</b> news & more.\nSee you soon!',
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'received' });

    const mails = await sentMailTo(friend);
    expect(mails).toHaveLength(1);
    const mail = mails[0];
    if (mail === undefined) throw new Error('no invitation');
    expect(mail.from).toContain('news@example.com');
    expect(mail.subject).toBe('Ada thought you would like to hear from Example Co Ltd');
    const text = mail.body.text ?? '';
    const html = mail.body.html ?? '';
    for (const part of [text, html, mail.subject]) {
      expect(part).not.toContain('Lovelace');
      expect(part.toLowerCase()).not.toContain(referrer.email.toLowerCase());
      expect(part).not.toContain('ada.lovelace');
    }
    expect(text).toContain('Ada thought you might like the emails of Example Co Ltd');
    expect(text).toContain('Ada wrote:\n\n> You will love the <b>weekly</b> news & more.\n> See you soon!');
    expect(text).toContain('sign up on the website of Example Co Ltd');
    expect(html).toContain('You will love the &lt;b&gt;weekly&lt;/b&gt; news &amp; more.<br>See you soon!');
    expect(html).not.toContain('<b>weekly</b>');
    // The policy's transactional footer: company and postal address, in both parts.
    for (const part of [text, html]) {
      expect(part).toContain('Example Co Ltd');
      expect(part).toContain('1 Example Street, Springfield, OR 97403, USA');
      expect(part).toContain('We have not stored your address.');
    }
    const optOut = optOutLinkIn(text);
    expect(optOut).toBeDefined();
    expect(html).toContain(`href="${optOut?.replaceAll('&', '&amp;')}"`);
    // The referrer's side keeps counts only.
    const summary = (await scanAll()).find(
      (item) => item.entity === 'referralSummary' && item.contactId === referrer.contactId,
    );
    expect(summary).toMatchObject({ contactId: referrer.contactId, requests: 1 });
  });

  it('stores the friend address nowhere, in any letter case', async () => {
    const referrer = await givenSubscriber();
    const typed = `Grace.Hopper-${randomUUID()}@Example.NET`;
    expect((await refer({ token: referrer.token, friendEmail: typed, firstName: 'Ada' })).status).toBe(202);
    expect(await sentMailTo(canonicalEmail(typed))).toHaveLength(1);

    const items = await scanAll();
    const local = typed.slice(0, typed.indexOf('@')).toLowerCase();
    for (const item of items) {
      const json = JSON.stringify(item).toLowerCase();
      expect(json).not.toContain(typed.toLowerCase());
      expect(json).not.toContain(local);
    }
    const friendHash = hashEmail(runtime.config.emailHashSecret, typed);
    const invitation = items.find((item) => item.pk === `REFERRAL#${friendHash}` && item.sk === 'INVITATION');
    expect(invitation).toMatchObject({
      entity: 'referralInvitation',
      status: 'sent',
      referrerHash: referrerHashOf(runtime.config.emailHashSecret, referrer.contactId),
    });
    // The referrer is named by a keyed hash only (an erased referrer's id must be in no invitation).
    expect(JSON.stringify(invitation)).not.toContain(referrer.contactId);
    const expiresAt = Number(invitation?.expiresAt);
    const thirtyDays = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
    expect(Math.abs(expiresAt - thirtyDays)).toBeLessThan(120);
  });

  it('does not invite the same friend twice within 30 days, whoever asks, and answers the same', async () => {
    const [first, second] = [await givenSubscriber(), await givenSubscriber()];
    const friend = newFriend();
    const a = await refer({ token: first.token, friendEmail: friend, firstName: 'Ada' });
    const b = await refer({ token: second.token, friendEmail: friend.toUpperCase(), firstName: 'Bob' });
    const c = await refer({ token: first.token, friendEmail: friend, firstName: 'Ada' });
    for (const response of [a, b, c]) {
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ status: 'received' });
    }
    expect(await sentMailTo(friend)).toHaveLength(1);
  });

  it('invites again once the 30 days have passed', async () => {
    const referrer = await givenSubscriber();
    const friend = newFriend();
    await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('referralInvitation', {
          friendHash: hashEmail(runtime.config.emailHashSecret, friend),
        }),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
      }),
    );
    await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
    expect(await sentMailTo(friend)).toHaveLength(2);
  });

  it("the invitation's opt-out link: GET changes nothing, POST stops every future invitation", async () => {
    const referrer = await givenSubscriber();
    const friend = newFriend();
    await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
    const link = optOutLinkIn((await sentMailTo(friend))[0]?.body.text ?? '') ?? '';
    const app = publicAppFor(runtime);

    const before = await countItems(runtime);
    const page = await app.request(link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="opt-out">');
    expect(html).toContain('Never invite me again');
    expect(html).not.toMatch(/<script|http-equiv="refresh"|onload=/i);
    expect(await countItems(runtime)).toBe(before);

    const token = new URL(link).searchParams.get('token') ?? '';
    const done = await app.request('/v1/referrals/opt-out', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, locale: 'en' }).toString(),
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Done: no more invitations');
    const friendHash = hashEmail(runtime.config.emailHashSecret, friend);
    const optOut = (await scanAll()).find(
      (item) => item.pk === `REFERRAL#${friendHash}` && item.sk === 'OPT_OUT',
    );
    expect(optOut).toMatchObject({ entity: 'referralOptOut' });
    expect(optOut?.expiresAt).toBeUndefined();

    // Even after the 30-day window, no referrer can invite this friend again.
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('referralInvitation', { friendHash }),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
      }),
    );
    const other = await givenSubscriber();
    const response = await refer({ token: other.token, friendEmail: friend, firstName: 'Bob' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'received' });
    expect(await sentMailTo(friend)).toHaveLength(1);

    // Opting out twice is harmless.
    const again = await app.request('/v1/referrals/opt-out', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(again.status).toBe(200);
  });

  /** Lets the friend's invitation window pass, so only the opt-out can still stop an invitation. */
  async function expireInvitationOf(friend: string) {
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('referralInvitation', { friendHash: mailboxHashOf(friend) }),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 },
      }),
    );
  }
  const mailboxHashOf = (address: string) =>
    hashEmail(runtime.config.emailHashSecret, canonicalMailbox(address));

  async function optOutThroughLinkSentTo(friend: string) {
    const link = optOutLinkIn((await sentMailTo(friend))[0]?.body.text ?? '') ?? '';
    const token = new URL(link).searchParams.get('token') ?? '';
    const done = await publicAppFor(runtime).request('/v1/referrals/opt-out', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(done.status).toBe(200);
  }

  it('"never invite me again" holds for every sub-address of the mailbox (+tag), either way round', async () => {
    const referrer = await givenSubscriber();
    const other = await givenSubscriber();
    const local = `grace-${randomUUID()}`;
    const friend = `${local}@example.net`;
    await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
    await optOutThroughLinkSentTo(friend);
    await expireInvitationOf(friend);
    for (const tagged of [`${local}+news@example.net`, `${local.toUpperCase()}+x@Example.NET`]) {
      const response = await refer({ token: other.token, friendEmail: tagged, firstName: 'Bob' });
      expect(response.status).toBe(202);
      expect(await sentMailTo(canonicalEmail(tagged))).toHaveLength(0);
    }

    // Opting out from an invitation sent to a sub-address covers the plain address too.
    const taggedLocal = `grace-${randomUUID()}`;
    const tagged = `${taggedLocal}+promo@example.net`;
    await refer({ token: referrer.token, friendEmail: tagged, firstName: 'Ada' });
    await optOutThroughLinkSentTo(tagged);
    await expireInvitationOf(tagged);
    await refer({ token: other.token, friendEmail: `${taggedLocal}@example.net`, firstName: 'Bob' });
    expect(await sentMailTo(`${taggedLocal}@example.net`)).toHaveLength(0);
  });

  it('still honours an opt-out recorded for the exact sub-address before mailboxes were used', async () => {
    const referrer = await givenSubscriber();
    const friend = `grace-${randomUUID()}+old@example.net`;
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('referralOptOut', { friendHash: hashEmail(runtime.config.emailHashSecret, friend) }),
          entity: 'referralOptOut',
          createdAt: new Date().toISOString(),
        },
      }),
    );
    expect((await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' })).status).toBe(202);
    expect(await sentMailTo(friend)).toHaveLength(0);
  });

  it('invites a mailbox once per 30 days, whatever sub-address each referrer types', async () => {
    const [first, second] = [await givenSubscriber(), await givenSubscriber()];
    const local = `grace-${randomUUID()}`;
    const addresses = [`${local}+a@example.net`, `${local}+b@example.net`, `${local}@example.net`];
    for (const [index, friendEmail] of addresses.entries()) {
      const referrer = index % 2 === 0 ? first : second;
      const response = await refer({ token: referrer.token, friendEmail, firstName: 'Ada' });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ status: 'received' });
    }
    const sent = await Promise.all(addresses.map(async (address) => (await sentMailTo(address)).length));
    expect(sent).toEqual([1, 0, 0]);
  });

  it('a forged opt-out token is refused and changes nothing', async () => {
    const app = publicAppFor(runtime);
    const before = await countItems(runtime);
    const wrongPurpose = tokens().sign('preferences', { contactId: 'someone' });
    for (const token of ['dev1.abc.def', wrongPurpose]) {
      expect((await app.request(`/v1/referrals/opt-out?token=${token}`)).status).toBe(400);
      const post = await app.request('/v1/referrals/opt-out', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(post.status).toBe(400);
      expect(await post.text()).toContain('invalid_token');
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it('never mails a suppressed friend (any reason), nor someone who is already a contact', async () => {
    const referrer = await givenSubscriber();
    const suppressed = newFriend();
    for (const [address, reason] of [
      [suppressed, 'unsubscribed'],
      [newFriend(), 'complaint'],
    ] as const) {
      await givenSuppression(runtime, address, reason);
      const response = await refer({ token: referrer.token, friendEmail: address, firstName: 'Ada' });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ status: 'received' });
      expect(await sentMailTo(address)).toHaveLength(0);
    }

    const existing = await givenSubscriber();
    const before = (await sentMailTo(existing.email)).length;
    expect(
      (await refer({ token: referrer.token, friendEmail: existing.email, firstName: 'Ada' })).status,
    ).toBe(202);
    expect(
      (await refer({ token: referrer.token, friendEmail: referrer.email, firstName: 'Ada' })).status,
    ).toBe(202);
    expect(await sentMailTo(existing.email)).toHaveLength(before);
    expect(await sentMailTo(referrer.email)).toHaveLength(1); // only their own confirmation email
  });

  it('does the same work in the request whoever the friend is, so neither the answer nor its time tells', async () => {
    const referrer = await givenSubscriber();
    const optedOut = newFriend();
    const suppressed = newFriend();
    const invited = newFriend();
    await refer({ token: referrer.token, friendEmail: invited, firstName: 'Ada' });
    await givenSuppression(runtime, suppressed, 'complaint');
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('referralOptOut', {
            friendHash: hashEmail(runtime.config.emailHashSecret, canonicalMailbox(optedOut)),
          }),
          entity: 'referralOptOut',
        },
      }),
    );
    // The app on clients of its own, so only the request's DynamoDB calls are seen (not the stream's).
    const calls: string[] = [];
    const clients = createAwsClients(runtime.config);
    clients.documents.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const app = publicAppFor({ ...runtime, clients });
    const workOf = async (friendEmail: string) => {
      calls.length = 0;
      const response = await app.request('/v1/referrals', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: referrer.token, friendEmail, firstName: 'Ada' }),
      });
      return { status: response.status, body: await response.text(), calls: [...calls] };
    };
    const fresh = await workOf(newFriend());
    // Reads of the referrer only (is this a subscriber?), then one write: the accepted request.
    expect(fresh.calls.filter((name) => !['GetItemCommand', 'QueryCommand'].includes(name))).toEqual([
      'PutItemCommand',
    ]);
    for (const friend of [optedOut, suppressed, invited, referrer.email]) {
      expect(await workOf(friend)).toEqual(fresh);
    }
    await untilRequestsProcessed(runtime);
    expect(await sentMailTo(optedOut)).toHaveLength(0);
    expect(await sentMailTo(suppressed)).toHaveLength(0);
    expect(await sentMailTo(invited)).toHaveLength(1);
  });

  it('limits each referrer to 5 invitations a day, with the same answer beyond', async () => {
    const referrer = await givenSubscriber();
    const friends = Array.from({ length: 6 }, newFriend);
    for (const friend of friends) {
      const response = await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ status: 'received' });
    }
    const counts = await Promise.all(friends.map(async (friend) => (await sentMailTo(friend)).length));
    expect(counts).toEqual([1, 1, 1, 1, 1, 0]);
    // Another referrer is not affected.
    const other = await givenSubscriber();
    const friend = newFriend();
    await refer({ token: other.token, friendEmail: friend, firstName: 'Bob' });
    expect(await sentMailTo(friend)).toHaveLength(1);
  });

  it('refuses a referrer without a confirmed subscription (403 not_a_subscriber)', async () => {
    const unconfirmed = await givenSubscriber({ confirm: false });
    const ghost = tokens().sign('preferences', { contactId: 'no-such-contact' });
    for (const token of [unconfirmed.token, ghost]) {
      const friend = newFriend();
      const response = await refer({ token, friendEmail: friend, firstName: 'Ada' });
      expect(response.status).toBe(403);
      expect(((await response.json()) as ErrorBody).error.code).toBe('not_a_subscriber');
      expect(await sentMailTo(friend)).toHaveLength(0);
    }
  });

  it('refuses a forged, truncated or wrong-purpose token (400 invalid_token)', async () => {
    const referrer = await givenSubscriber();
    const [keyId, payload, mac] = referrer.token.split('.');
    const unsubscribeToken = tokens().sign('unsubscribe', {
      contactId: referrer.contactId,
      listId: 'weekly-news',
    });
    for (const token of [
      `${keyId}.${payload}.${mac?.slice(0, -2)}AA`,
      `${keyId}.${payload}`,
      unsubscribeToken,
      'nonsense',
    ]) {
      const friend = newFriend();
      const response = await refer({ token, friendEmail: friend, firstName: 'Ada' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe('invalid_token');
      expect(await sentMailTo(friend)).toHaveLength(0);
    }
  });

  it('refuses an invalid friend address or first name with field paths, and writes nothing', async () => {
    const referrer = await givenSubscriber();
    const before = await countItems(runtime);
    const cases: [Record<string, unknown>, string][] = [
      [{ friendEmail: 'not an address', firstName: 'Ada' }, 'body.friendEmail'],
      [{ friendEmail: 'Grace <grace@example.net>', firstName: 'Ada' }, 'body.friendEmail'],
      [{ firstName: 'Ada' }, 'body.friendEmail'],
      [{ friendEmail: newFriend(), firstName: '' }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'Ada\r\nBcc: x@example.com' }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'ada@example.org' }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'Visit example.com' }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'https' }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'A'.repeat(51) }, 'body.firstName'],
      [{ friendEmail: newFriend(), firstName: 'Ada', note: 'x'.repeat(501) }, 'body.note'],
    ];
    for (const [fields, path] of cases) {
      const response = await refer({ token: referrer.token, ...fields });
      expect(response.status, JSON.stringify(fields)).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.details?.map((detail) => detail.path)).toContain(path);
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it('refuses a note with a link in any form, a phone number or an address, and sends nothing', async () => {
    const referrer = await givenSubscriber();
    const before = await countItems(runtime);
    const links = 'must not contain links in any form (web or IP addresses, http, www.)';
    for (const [note, message] of [
      ['Look: http://evil.example/win', links],
      ['HTTPS://x.example', links],
      ['go to www.example.com now', links],
      ['sign in at evil.example/login', links],
      // The phishing that was sent: an IP-address URL, a phone number, a full-width-dot domain.
      ['Your account is locked, verify at 203.0.113.9/verify', links],
      ['Call our fraud line: +1 (555) 010-4477', 'must not contain phone numbers'],
      ['Log in at paypal．com right away', links],
      ['Log in at paypal\u200b.com right away', links],
      ['Write to security＠paypal', 'must not contain email addresses'],
    ]) {
      const friend = newFriend();
      const response = await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada', note });
      expect(response.status, note).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.details).toEqual([{ path: 'body.note', message }]);
      expect(await sentMailTo(friend)).toHaveLength(0);
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it('refuses a first name that speaks for a company or an authority, and sends nothing', async () => {
    const referrer = await givenSubscriber();
    const before = await countItems(runtime);
    for (const firstName of ['PayPal Security Team', 'Service Client', 'Équipe Sécurité', 'Раураl']) {
      const friend = newFriend();
      const response = await refer({ token: referrer.token, friendEmail: friend, firstName });
      expect(response.status, firstName).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.details).toEqual([
        { path: 'body.firstName', message: 'must be a person’s first name, not a company, team or role' },
      ]);
      expect(await sentMailTo(friend)).toHaveLength(0);
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it('works as a plain HTML form: the form page, then a thank-you page in French', async () => {
    const referrer = await givenSubscriber();
    const app = publicAppFor(runtime);
    const before = await countItems(runtime);
    const formPage = await app.request(`/v1/referrals?token=${referrer.token}&locale=fr`);
    expect(formPage.status).toBe(200);
    const formHtml = await formPage.text();
    expect(formHtml).toContain('<form method="post" action="referrals">');
    expect(formHtml).toContain('Inviter un ami');
    expect(await countItems(runtime)).toBe(before);

    const friend = newFriend();
    const response = await referForm({
      token: referrer.token,
      friendEmail: friend,
      firstName: 'Ada',
      note: '',
      locale: 'fr',
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Merci');
    const mail = (await sentMailTo(friend))[0];
    expect(mail?.subject).toBe('Ada pense que Example Co Ltd pourrait vous intéresser');
    expect(mail?.body.text).toContain(
      'Ne plus jamais m’inviter : http://localhost:3000/v1/referrals/opt-out?token=',
    );

    const invalid = await referForm({ token: referrer.token, friendEmail: 'nope', firstName: 'Ada' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/text\/html/);
    expect(await invalid.text()).toContain('friendEmail');
  });

  /**
   * The invitation has no message record (the friend is not a contact), so SES's report about it must be
   * applied by the address it names: as SES publishes it for the invitation just sent (our tags).
   */
  async function sesReportOnInvitationTo(friend: string, fixture: 'complaint' | 'bounce-permanent') {
    const mail = (await sentMailTo(friend)).at(-1);
    const invitation = (await scanAll()).find(
      (item) => item.entity === 'referralInvitation' && item.friendHash === mailboxHashOf(friend),
    );
    const text = readFileSync(new URL(`../fixtures/ses-events/${fixture}.json`, import.meta.url), 'utf8');
    const event = JSON.parse(text.replaceAll('recipient@example.com', friend));
    const at = new Date().toISOString();
    event.id = randomUUID();
    event.time = `${at.slice(0, 19)}Z`;
    event.detail.mail.messageId = mail?.messageId;
    event.detail.mail.timestamp = at;
    event.detail.mail.tags = {
      'ses:configuration-set': ['ConfigSet'],
      messageId: [String(invitation?.messageId)],
      kind: ['transactional'],
      purpose: ['referral'],
    };
    const feedback = event.detail.complaint ?? event.detail.bounce;
    Object.assign(feedback, { feedbackId: `0100${randomUUID()}-000000`, timestamp: at });
    return processSesEvent(sesEventsDependencies(runtime), event);
  }

  it('a friend who reports the invitation as spam is suppressed: no signup by anyone subscribes them at once', async () => {
    await givenList(runtime, { listId: 'referral-offers', doubleOptIn: false });
    const referrer = await givenSubscriber();
    const friend = newFriend();
    expect((await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' })).status).toBe(202);
    await sesReportOnInvitationTo(friend, 'complaint');

    const suppression = await findSuppression(
      { documents: runtime.clients.documents, tableName: runtime.config.tableName },
      hashEmail(runtime.config.emailHashSecret, friend),
    );
    expect(suppression).toMatchObject({ reason: 'complaint' });
    // Someone signs the friend up to a list without double opt-in: it waits for the friend's confirmation.
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: friend, lists: ['referral-offers'] }),
    });
    await untilRequestsProcessed(runtime);
    expect((await recordsOf(runtime, friend))?.subscriptions.get('referral-offers')?.status).toBe(
      'unconfirmed',
    );
  });

  it('an invitation that hard-bounces suppresses the address', async () => {
    const referrer = await givenSubscriber();
    const friend = newFriend();
    await refer({ token: referrer.token, friendEmail: friend, firstName: 'Ada' });
    await sesReportOnInvitationTo(friend, 'bounce-permanent');
    const suppressionOf = () =>
      findSuppression(
        { documents: runtime.clients.documents, tableName: runtime.config.tableName },
        hashEmail(runtime.config.emailHashSecret, friend),
      );
    expect(await suppressionOf()).toMatchObject({ reason: 'hard-bounce', scope: 'all' });
  });

  it('is in the OpenAPI document', async () => {
    const response = await publicAppFor(runtime).request('http://localhost/openapi.json');
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(document.paths['/v1/referrals']?.post?.operationId).toBe('createReferral');
    expect(document.paths['/v1/referrals']?.get?.operationId).toBe('viewReferralForm');
    expect(document.paths['/v1/referrals/opt-out']?.get?.operationId).toBe('viewReferralOptOut');
    expect(document.paths['/v1/referrals/opt-out']?.post?.operationId).toBe('optOutOfReferrals');
  });
});

describe('an invitation whose claim was written but whose answer was lost', () => {
  it('is sent, not taken for an invitation someone else already sent', async () => {
    const runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
    const [referrer] = await givenConfirmedSubscribers(runtime, 'weekly-news', 1);
    // The stream reader's own client: the invitation's claim lands, its first answer comes too late, and
    // the SDK's retry fails the claim's condition against it.
    const reader = withOwnClients(runtime);
    const claims: PickedRequest = (commandName, input) =>
      commandName === 'PutItemCommand' &&
      (input.Item as { entity?: { S?: string } } | undefined)?.entity?.S === 'referralInvitation';
    const lost = loseAnswers(reader.clients.dynamoDb, claims, 'first-answer');
    const streamReader = await testCampaignRunner(reader);
    const friend = `grace.hopper-${randomUUID()}@example.net`;
    try {
      const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', {
        contactId: referrer?.contactId ?? '',
        messageId: 'msg-1',
      });
      const response = await publicAppFor(runtime).request('/v1/referrals', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, friendEmail: friend, firstName: 'Ada' }),
      });
      expect(response.status).toBe(202);
      await untilRequestsProcessed(runtime);
    } finally {
      await streamReader.stop();
      reader.clients.dynamoDb.destroy();
    }
    expect(lost.attempts()).toBe(2);
    expect(await sentMailTo(friend)).toHaveLength(1);
  });
});
