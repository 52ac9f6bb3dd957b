import render from 'dom-serializer';
import { DomUtils, parseDocument } from 'htmlparser2';
import { beforeEach, describe, expect, it } from 'vitest';
import { campaignDraft } from '../../shared/campaigns/campaign-draft';
import { type Campaign, findCampaign } from '../../shared/campaigns/campaigns';
import { campaignMessageId } from '../../shared/campaigns/recipient-claim';
import { sendToChunk } from '../../shared/campaigns/send-chunk';
import { recipientDependenciesOf } from '../../shared/campaigns/worker-dependencies';
import { findContact } from '../../shared/contacts/contacts';
import type { Runtime } from '../../shared/runtime';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import { recipientStateFor } from '../../shared/sending/recipient-state';
import { createdCampaign, storedCampaignMessage } from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The bulk path checks a campaign's body once per template variant and each recipient's subject and
 * headers per recipient (docs/campaigns.md, "One check per variant"). These hold it to the single-send
 * path's verdict wherever a recipient's own values could change it: a body that hides the footer is
 * refused for everyone, a body left blank by a name is refused for that recipient, and a name placed
 * where it is more than text (an attribute, CSS) gets that recipient's own copy checked.
 */

let runtime: Runtime;

beforeEach(async () => {
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
  await givenList(runtime, { listId: 'news', trackingMode: 'off' });
});

const access = () => ({ documents: runtime.clients.documents, tableName: runtime.config.tableName });

/** A campaign created through the API (its content checked there), then given `html` as stored content. */
async function campaignWith(html: string, asCreated?: string): Promise<Campaign> {
  const created = await createdCampaign(runtime, {
    name: 'Checks',
    listId: 'news',
    subject: 'News for {{firstName|you}}',
    html: asCreated ?? html,
  });
  const campaign = await findCampaign(access(), created.campaignId);
  if (campaign === undefined) throw new Error('campaign missing');
  // Content the API would refuse reaches the worker only from an older version or a bug: still refused.
  return { ...campaign, html };
}

/** What the single-send path decides for this person: the whole policy on their personalised draft. */
async function singlePathDecision(campaign: Campaign, contactId: string) {
  const contact = await findContact(access(), contactId);
  if (contact === undefined) throw new Error('contact missing');
  const deps = recipientDependenciesOf(runtime);
  return complianceCheck(
    campaignDraft(campaign, contact),
    await recipientStateFor(access(), contact, 'news'),
    { messageId: campaignMessageId(campaign.campaignId, contactId), campaignId: campaign.campaignId },
    { sender: deps.sender, baseUrl: deps.baseUrl, tokens: deps.tokens },
  );
}

async function refusalsRecorded(campaign: Campaign, contactId: string) {
  const record = await storedCampaignMessage(runtime, campaign.campaignId, contactId);
  return ((record?.refusals ?? []) as { code: string }[]).map((refusal) => refusal.code);
}

describe('the bulk path refuses what the single-send path refuses', () => {
  it('refuses, for every recipient, an operator body that would hide the footer', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 3, { names: () => 'Ada Lovelace' });
    const campaign = await campaignWith(
      '<body style="display:none"><p>Hello {{firstName|there}}</p></body>',
      '<p>Hello {{firstName|there}}</p>',
    );
    const ids = people.map((person) => person.contactId);
    const outcomes = await sendToChunk(recipientDependenciesOf(runtime), campaign, ids);
    expect(outcomes).toEqual(ids.map(() => ({ kind: 'skipped', reason: 'footer_not_visible' })));
    for (const person of people) {
      expect(await sentMailTo(person.email)).toEqual([]);
      const single = await singlePathDecision(campaign, person.contactId);
      expect(single.allowed).toBe(false);
      expect(await refusalsRecorded(campaign, person.contactId)).toEqual(['footer_not_visible']);
    }
  });

  it('refuses a body left blank by a recipient without a name, and sends it to the others', async () => {
    const names = ['Grace Hopper', null];
    const people = await givenConfirmedSubscribers(runtime, 'news', 2, {
      names: (index) => names[index] ?? null,
    });
    const campaign = await campaignWith('  {{firstName}}\n', '<p>Hi {{firstName}}</p>');
    const outcomes = await sendToChunk(
      recipientDependenciesOf(runtime),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual([{ kind: 'sent' }, { kind: 'skipped', reason: 'body_required' }]);
    const [named, nameless] = people as [(typeof people)[0], (typeof people)[0]];
    expect((await singlePathDecision(campaign, nameless.contactId)).allowed).toBe(false);
    expect(await sentMailTo(nameless.email)).toEqual([]);
    const [mail] = await sentMailTo(named.email);
    expect(mail?.body.html).toContain('Grace');
  });

  it('checks each person’s own copy where a name is more than text: one that would hide the footer is refused', async () => {
    // A class a hiding rule matches, and a style attribute: an escaped name is still read as CSS there.
    const names = ['gone Smith', 'red;display:none', 'Ada <b>Lovelace</b> {{x}}'];
    const people = await givenConfirmedSubscribers(runtime, 'news', 3, {
      names: (index) => names[index] ?? null,
    });
    const html =
      '<style>.gone { display: none }</style><body class="{{firstName|reader}}" style="color:{{firstName|black}}">' +
      '<p>Hello {{name|there}}</p></body>';
    const campaign = await campaignWith(html);
    const outcomes = await sendToChunk(
      recipientDependenciesOf(runtime),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual([
      { kind: 'skipped', reason: 'footer_not_visible' },
      { kind: 'skipped', reason: 'footer_not_visible' },
      { kind: 'sent' },
    ]);
    for (const [index, person] of people.entries()) {
      const single = await singlePathDecision(campaign, person.contactId);
      expect(single.allowed).toBe(index === 2);
      const mails = await sentMailTo(person.email);
      expect(mails).toHaveLength(index === 2 ? 1 : 0);
      if (!single.allowed) continue;
      // The one sent is what the single-send path would send, the name escaped: text, not markup.
      const sent = parseDocument(mails[0]?.body.html ?? '');
      expect(render(sent)).toBe(render(parseDocument(single.message.html)));
      expect(DomUtils.getElementsByTagName('b', sent.children)).toEqual([]);
      expect(DomUtils.textContent(sent)).toContain('Hello Ada <b>Lovelace</b> {{x}}');
    }
  });

  it('refuses, for every recipient, a stored placeholder where it cannot be filled in, and sends nothing', async () => {
    // The API refuses these (400 misplaced_placeholder); one stored by an older version still never goes
    // out. Before: the unquoted value's copy was checked with the attribute ended at the space, and the
    // copy sent carried `style="color:Red ;display:none"`, hiding the footer; the attribute-list
    // placeholder went out as an attribute `qz…v0qz` no value replaced.
    const people = await givenConfirmedSubscribers(runtime, 'news', 2, {
      names: (index) => ['Red ;display:none', 'Ada Lovelace'][index] ?? null,
    });
    const ids = people.map((person) => person.contactId);
    for (const html of [
      '<body style=color:{{name}}><p>Hello</p></body>',
      '<p>Hello</p><a href="https://example.com/" {{firstName|there}}>Our news</a>',
    ]) {
      const campaign = await campaignWith(html, '<p>Hello {{firstName|there}}</p>');
      const outcomes = await sendToChunk(recipientDependenciesOf(runtime), campaign, ids);
      expect(outcomes, html).toEqual(ids.map(() => ({ kind: 'skipped', reason: 'misplaced_placeholder' })));
      for (const person of people) {
        expect(await refusalsRecorded(campaign, person.contactId)).toEqual(['misplaced_placeholder']);
      }
    }
    for (const person of people) expect(await sentMailTo(person.email)).toEqual([]);
  });
});
