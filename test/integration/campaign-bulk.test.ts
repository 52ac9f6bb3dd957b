import { type BulkEmailEntry, SESv2Client } from '@aws-sdk/client-sesv2';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import render from 'dom-serializer';
import { parseDocument } from 'htmlparser2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { campaignDraft } from '../../shared/campaigns/campaign-draft';
import { findCampaign } from '../../shared/campaigns/campaigns';
import { campaignMessageId } from '../../shared/campaigns/recipient-claim';
import { sendToChunk } from '../../shared/campaigns/send-chunk';
import { recipientDependenciesOf } from '../../shared/campaigns/worker-dependencies';
import { findContact } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import { getMessage } from '../../shared/sending/message-record';
import { recipientStateFor } from '../../shared/sending/recipient-state';
import { sendDecorated } from '../../shared/sending/send-message';
import { adminAppFor } from '../support/apps';
import {
  adminJson,
  type CampaignBody,
  createdCampaign,
  testCampaignRunner,
  waitForCampaign,
} from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { injectBulkEntryResults, startFakeSes, watchBulkSends } from '../support/fake-ses';
import { type SentMail, sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers, givenTrackingAllowed } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Campaigns go out through SendBulkEmail with an inline template (shared/campaigns/bulk-template.ts):
 * what each person receives is what the single-send path (SendEmail) would send them, template syntax in
 * names or in the operator's HTML stays text, and every entry's answer lands on its own recipient.
 */

let runtime: Runtime;
let runners: CampaignRunner[] = [];

beforeEach(async () => {
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
  await givenList(runtime, { listId: 'news', trackingMode: 'per-person' });
});

/** An SES client of the emulator that a test can watch or make answer per entry (support/fake-ses.ts). */
const localSes = () =>
  new SESv2Client({
    region: runtime.config.region,
    endpoint: runtime.config.sesEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
});

const access = () => ({ documents: runtime.clients.documents, tableName: runtime.config.tableName });

function createCampaign(body: Record<string, unknown>): Promise<CampaignBody> {
  return createdCampaign(runtime, { name: 'Bulk news', listId: 'news', ...body });
}

async function runCampaign(campaignId: string, options: Parameters<typeof testCampaignRunner>[1] = {}) {
  runners.push(await testCampaignRunner(runtime, options));
  const { status } = await adminJson(runtime, `/admin/v1/campaigns/${campaignId}/start`, 'POST');
  expect(status).toBe(200);
  return waitForCampaign(runtime, campaignId);
}

const allowTracking = (contactId: string) => givenTrackingAllowed(runtime, contactId);

const header = (mail: SentMail | undefined, name: string) =>
  mail?.headers?.find((each) => each.name === name)?.value;

// Braces, triple braces and backslashes where Handlebars would see syntax, in names and operator text.
const TRICKY_NAMES = ['{{{Ada}}}\\{{x}} <b>&amp;', '}}Grace{{ "Hopper"', '\\{{{{raw}}}}'];
// (An unmatched `{{` can only come last: one followed by `}}` is an unknown placeholder, refused at creation.)
// A heading with a name: html-to-text's default would capitalise it in one path and not the other.
const OPERATOR_HTML =
  '<style>p { color: #333 } .x{}</style><h1>Dear {{firstName|there}}</h1>' +
  '<p>Hi {{firstName|there}}! Full name: {{name|friend}}.</p>' +
  '<p>Prices {in braces}, }}} closing, a \\ backslash, \\{{ escaped, {{{ three and {{ open.</p>';

describe('a campaign sent with SendBulkEmail', () => {
  it('gives each person what the single-send path would, with template syntax in names and HTML left as text', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4, {
      names: (index) => TRICKY_NAMES[index] ?? null,
    });
    // Two allow tracking (a pixel), two do not: one template, the pixel a per-destination value.
    for (const person of people.slice(0, 2)) await allowTracking(person.contactId);
    const subject = 'News {{firstName|for you}} }} {{{';
    const created = await createCampaign({ subject, html: OPERATOR_HTML });
    const done = await runCampaign(created.campaignId);
    expect(done.progress).toMatchObject({ sent: 4, uncertain: 0, failed: 0 });

    const campaign = await findCampaign(access(), created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const deps = recipientDependenciesOf(runtime);
    for (const [index, person] of people.entries()) {
      const [bulk, ...more] = await sentMailTo(person.email);
      expect(more).toEqual([]);
      // The same person through the single-send path: the policy decides and decorates their draft, SendEmail.
      const contact = await findContact(access(), person.contactId);
      if (contact === undefined) throw new Error('contact missing');
      const messageId = campaignMessageId(campaign.campaignId, person.contactId);
      const decision = complianceCheck(
        campaignDraft(campaign, contact),
        await recipientStateFor(access(), contact, 'news'),
        { messageId, campaignId: campaign.campaignId },
        { sender: deps.sender, baseUrl: deps.baseUrl, tokens: deps.tokens },
      );
      if (!decision.allowed) throw new Error(JSON.stringify(decision.refusals));
      await sendDecorated(deps.mailer, decision.message);
      const single = (await sentMailTo(person.email)).find((mail) => mail.messageId !== bulk?.messageId);

      expect(bulk?.subject).toBe(single?.subject);
      // Compared as parsed documents: the single path re-serialises its HTML when placing the footer
      // (a `"` in text comes out bare), the bulk path escapes each value into a fixed template (`&quot;`).
      expect(asDocument(bulk?.body.html)).toBe(asDocument(single?.body.html));
      expect(bulk?.body.text).toBe(single?.body.text);
      expect(bulk?.from).toBe(single?.from);
      expect(bulk?.replyTo).toEqual(single?.replyTo);
      for (const name of ['List-Unsubscribe', 'List-Unsubscribe-Post']) {
        expect(header(bulk, name)).toBe(header(single, name));
      }
      // Literally what the operator and the person wrote, nothing read as template syntax.
      // The fourth person has no name: the placeholder's fallback.
      const firstName = TRICKY_NAMES[index]?.split(' ')[0] ?? 'for you';
      expect(bulk?.subject).toBe(`News ${firstName} }} {{{`);
      expect(bulk?.body.text).toContain('{in braces}, }}} closing, a \\ backslash, \\{{ escaped, {{{ three');
      expect(bulk?.body.html).toContain(
        '{in braces}, }}} closing, a \\ backslash, \\{{ escaped, {{{ three and {{ open.',
      );
      expect(bulk?.body.html).toContain('p { color: #333 } .x{}');
      expect(bulk?.body.html?.includes('/v1/pixel?token=')).toBe(index < 2);
      expect(decision.message.tracked).toBe(index < 2);
    }
  });

  it('sends a chunk in one call per footer variant: language and advertisement notice', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 6);
    const contacts = access();
    // Two in French; one whose consent was not affirmative (imported), who gets the advertisement notice.
    for (const person of people.slice(0, 2)) {
      await contacts.documents.send(
        new UpdateCommand({
          TableName: contacts.tableName,
          Key: primaryKeyOf('contact', { contactId: person.contactId }),
          UpdateExpression: 'SET locale = :fr',
          ExpressionAttributeValues: { ':fr': 'fr' },
        }),
      );
    }
    const [, , imported] = people;
    await contacts.documents.send(
      new UpdateCommand({
        TableName: contacts.tableName,
        Key: primaryKeyOf('subscription', { contactId: imported?.contactId ?? '', listId: 'news' }),
        UpdateExpression: 'SET affirmative = :no',
        ExpressionAttributeValues: { ':no': false },
      }),
    );
    const created = await createCampaign({ subject: 'Variants', text: 'Hello {{firstName|there}}' });
    const campaign = await findCampaign(access(), created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const ses = localSes();
    let calls = 0;
    const tagsSent: Record<string, string>[] = [];
    const tagsOf = (tags: { Name?: string; Value?: string }[] = []) =>
      Object.fromEntries(tags.map((tag) => [tag.Name, tag.Value]));
    watchBulkSends(ses, (input) => {
      calls++;
      expect(tagsOf(input.DefaultEmailTags)).not.toHaveProperty('contactId');
      for (const entry of input.BulkEmailEntries ?? []) {
        tagsSent.push({ ...tagsOf(input.DefaultEmailTags), ...tagsOf(entry.ReplacementTags) });
      }
    });
    const outcomes = await sendToChunk(
      recipientDependenciesOf(runtime, { ses }),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    expect(calls).toBe(3);
    // Each destination's tags name its message record's key, so SES's events about it need no index.
    expect(tagsSent.map(({ messageId, contactId }) => ({ messageId, contactId }))).toEqual(
      expect.arrayContaining(
        people.map((person) => ({
          messageId: campaignMessageId(campaign.campaignId, person.contactId),
          contactId: person.contactId,
        })),
      ),
    );
    expect(tagsSent).toHaveLength(people.length);
    expect(tagsSent.every((tags) => tags.campaignId === campaign.campaignId)).toBe(true);
    const texts = await Promise.all(
      people.map(async (person) => (await sentMailTo(person.email))[0]?.body.text),
    );
    expect(texts[0]).toContain('Se désinscrire');
    expect(texts[3]).not.toContain('Se désinscrire');
    expect(texts.map((text) => /advertisement/i.test(text ?? ''))).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
  });

  it('sends each destination its tokens once: both parts read the same value, the pixel only in its <img>', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 2);
    await allowTracking(people[0]?.contactId ?? '');
    const created = await createCampaign({ subject: 'Tokens', html: '<p>Hello {{firstName|there}}</p>' });
    const campaign = await findCampaign(access(), created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const ses = localSes();
    const entries: BulkEmailEntry[] = [];
    watchBulkSends(ses, (input) => entries.push(...(input.BulkEmailEntries ?? [])));
    const outcomes = await sendToChunk(
      recipientDependenciesOf(runtime, { ses }),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual([{ kind: 'sent' }, { kind: 'sent' }]);
    expect(entries).toHaveLength(2);
    for (const [index, person] of people.entries()) {
      const entry = entries.find((each) => each.Destination?.ToAddresses?.[0] === person.email);
      const data = entry?.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '';
      const listUnsubscribe = entry?.ReplacementHeaders?.find((each) => each.Name === 'List-Unsubscribe');
      const token = /token=([A-Za-z0-9_.-]+)/.exec(listUnsubscribe?.Value ?? '')?.[1] ?? '';
      expect(token).not.toBe('');
      expect(data.split(token).length - 1).toBe(1);
      const [mail] = await sentMailTo(person.email);
      expect(mail?.body.html).toContain(token);
      expect(mail?.body.text).toContain(token);
      const pixel = /\/v1\/pixel\?token=([A-Za-z0-9_.-]+)/.exec(mail?.body.html ?? '')?.[1];
      expect(pixel !== undefined).toBe(index === 0);
      if (pixel !== undefined) expect(data.split(pixel).length - 1).toBe(1);
    }
  });
});

describe("SES's answer for each entry", () => {
  it('records a refused entry as failed with its reason, and sends and records the others', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 5);
    const created = await createCampaign({ subject: 'Partly refused', text: 'Hello' });
    const campaign = await findCampaign(access(), created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const refusedAddress = people[1]?.email;
    const ses = localSes();
    injectBulkEntryResults(ses, (to) =>
      to === refusedAddress
        ? { status: 'MESSAGE_REJECTED', error: 'Email address is on a blocklist.' }
        : undefined,
    );
    const outcomes = await sendToChunk(
      recipientDependenciesOf(runtime, { ses }),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['sent', 'failed', 'sent', 'sent', 'sent']);
    const refused = people[1];
    const record = await getMessage(
      access(),
      campaignMessageId(campaign.campaignId, refused?.contactId ?? ''),
    );
    expect(record).toMatchObject({
      status: 'failed',
      sesFailure: { status: 'MESSAGE_REJECTED', reason: 'Email address is on a blocklist.' },
    });
    // The operator sees why through getMessage, and the API documents it.
    const { body } = await adminJson(runtime, `/admin/v1/messages/${record.messageId}`);
    expect(body.sesFailure).toEqual(record.sesFailure);
    const document = (await (
      await adminAppFor(runtime).request('http://localhost/admin/openapi.json')
    ).json()) as {
      components: { schemas: { Message: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(document.components.schemas.Message.properties)).toContain('sesFailure');
    const sent = await getMessage(
      access(),
      campaignMessageId(campaign.campaignId, people[0]?.contactId ?? ''),
    );
    expect(sent.status).toBe('sent');
    expect(sent.sesMessageId).toEqual(expect.any(String));
    expect(await sentMailTo(refused?.email ?? '')).toEqual([]);
  });

  // SES's per-entry statuses that prove the entry was not sent (shared/campaigns/ses-failures.ts): the
  // quota and paused-sending ones defer the batch like a quota refusal, the transient one is retried like
  // throttling; either way the recipient is neither failed nor uncertain, and is sent once on the redo.
  it.each([
    ['ACCOUNT_DAILY_QUOTA_EXCEEDED', 'quota'],
    ['ACCOUNT_SENDING_PAUSED', 'quota'],
    ['CONFIGURATION_SET_SENDING_PAUSED', 'quota'],
    ['ACCOUNT_SUSPENDED', 'quota'],
    ['TRANSIENT_FAILURE', 'throttled'],
  ] as const)(
    'keeps an entry SES answered %s for a retry, and sends it once when the chunk is redone',
    async (status, failure) => {
      const people = await givenConfirmedSubscribers(runtime, 'news', 3);
      const created = await createCampaign({ subject: `Answered ${status}`, text: 'Hello' });
      const campaign = await findCampaign(access(), created.campaignId);
      if (campaign === undefined) throw new Error('campaign missing');
      const [first, held, last] = people as [
        (typeof people)[number],
        (typeof people)[number],
        (typeof people)[number],
      ];
      const ses = localSes();
      let refusing = true;
      injectBulkEntryResults(ses, (to) =>
        refusing && to === held.email ? { status, error: `SES answered ${status}.` } : undefined,
      );
      const contactIds = people.map((person) => person.contactId);
      const deps = recipientDependenciesOf(runtime, { ses });
      expect(await sendToChunk(deps, campaign, contactIds)).toEqual([
        { kind: 'sent' },
        { kind: 'retry', failure },
        { kind: 'sent' },
      ]);
      const heldId = campaignMessageId(campaign.campaignId, held.contactId);
      expect((await getMessage(access(), heldId)).status).toBe('throttled');
      expect(await sentMailTo(held.email)).toEqual([]);

      refusing = false;
      const again = await sendToChunk(deps, campaign, contactIds, { claimedBefore: true });
      expect(again).toEqual(people.map(() => ({ kind: 'sent' })));
      expect((await getMessage(access(), heldId)).status).toBe('sent');
      for (const person of [first, held, last]) expect(await sentMailTo(person.email)).toHaveLength(1);
    },
  );

  it('keeps the recipients of a call IAM denied for a retry (nothing was sent), and sends each once when allowed', async () => {
    const fake = await startFakeSes(() => ({
      status: 403,
      errorType: 'AccessDeniedException',
      body: { message: 'not authorized to perform: ses:SendBulkEmail' },
    }));
    try {
      const people = await givenConfirmedSubscribers(runtime, 'news', 3);
      const created = await createCampaign({ subject: 'Denied first', text: 'Hello' });
      const campaign = await findCampaign(access(), created.campaignId);
      if (campaign === undefined) throw new Error('campaign missing');
      const { createSendingSesClient } = await import('../../shared/aws-clients');
      const denied = createSendingSesClient(
        { ...runtime.config, sesEndpoint: fake.url },
        { requestTimeoutMs: 5000 },
      );
      const contactIds = people.map((person) => person.contactId);
      const first = await sendToChunk(
        recipientDependenciesOf(runtime, { ses: denied }),
        campaign,
        contactIds,
      );
      expect(first).toEqual(people.map(() => ({ kind: 'retry', failure: 'quota' })));
      const again = await sendToChunk(recipientDependenciesOf(runtime), campaign, contactIds, {
        claimedBefore: true,
      });
      expect(again).toEqual(people.map(() => ({ kind: 'sent' })));
      for (const person of people) expect(await sentMailTo(person.email)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('leaves the recipients of a call SES never answers uncertain, and never sends to them again', async () => {
    const fake = await startFakeSes(() => 'hang');
    try {
      const people = await givenConfirmedSubscribers(runtime, 'news', 3);
      const created = await createCampaign({ subject: 'Unanswered', text: 'Hello' });
      const campaign = await findCampaign(access(), created.campaignId);
      if (campaign === undefined) throw new Error('campaign missing');
      const { createSendingSesClient } = await import('../../shared/aws-clients');
      const impatient = createSendingSesClient(
        { ...runtime.config, sesEndpoint: fake.url },
        { requestTimeoutMs: 300 },
      );
      const contactIds = people.map((person) => person.contactId);
      const first = await sendToChunk(
        recipientDependenciesOf(runtime, { ses: impatient }),
        campaign,
        contactIds,
      );
      expect(first).toEqual(people.map(() => ({ kind: 'uncertain' })));
      // The chunk done again, with an SES that answers: nobody is sent to again.
      const again = await sendToChunk(recipientDependenciesOf(runtime), campaign, contactIds, {
        claimedBefore: true,
      });
      expect(again).toEqual(people.map(() => ({ kind: 'uncertain' })));
      for (const person of people) expect(await sentMailTo(person.email)).toEqual([]);
      const record = await getMessage(access(), campaignMessageId(campaign.campaignId, contactIds[0] ?? ''));
      expect(record.status).toBe('uncertain');
    } finally {
      await fake.close();
    }
  });
});

/** HTML as a parser reads it, serialised one way: two spellings of the same document compare equal. */
const asDocument = (html: string | undefined) => render(parseDocument(html ?? ''));
