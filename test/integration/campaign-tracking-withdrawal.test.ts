import { afterEach, beforeEach, expect, it } from 'vitest';
import { countRequests } from '../../bench/measure';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { findCampaign } from '../../shared/campaigns/campaigns';
import { sendToChunk } from '../../shared/campaigns/send-chunk';
import { recipientDependenciesOf } from '../../shared/campaigns/worker-dependencies';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import type { Runtime } from '../../shared/runtime';
import { OPENABLE_ATTRIBUTE } from '../../shared/tracking/tracking-modes';
import { publicAppFor } from '../support/apps';
import {
  adminJson,
  createdCampaign,
  storedCampaignMessage,
  testCampaignRunner,
  waitForCampaign,
} from '../support/campaigns';
import { accessOf, givenList } from '../support/consent-fixtures';
import { withOwnClients } from '../support/own-clients';
import { sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers, givenTrackingAllowed, type Subscriber } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A withdrawal of tracking consent that lands while a campaign chunk is with SES (after the chunk read
 * its recipients, before it wrote their records): the withdrawal's sweep of sent mail finds no record
 * yet, so the chunk itself must leave that person's record not openable (docs/tracking.md, "Withdrawing
 * tracking consent takes effect at once"; shared/campaigns/send-chunk.ts).
 */

let runtime: Runtime;
let worker: CampaignRunner | undefined;

beforeEach(async () => {
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '200' });
  await givenList(runtime, { listId: 'news', trackingMode: 'per-person' });
});

afterEach(async () => {
  await worker?.stop();
});

/** Confirmed subscribers of `news` who allowed open tracking. */
async function givenTrackedSubscribers(count: number): Promise<Subscriber[]> {
  const people = await givenConfirmedSubscribers(runtime, 'news', count);
  for (const person of people) await givenTrackingAllowed(runtime, person.contactId);
  return people;
}

/** The person turns tracking off on their preference page (the test's own clients). */
async function withdrawTracking(contactId: string) {
  const contact = (await findContact(accessOf(runtime), contactId)) as Contact;
  await setTrackingConsent(
    { access: accessOf(runtime) },
    { contact, granted: false, evidence: { source: 'preference-page' } },
  );
}

it('a person who withdraws tracking while their campaign email is being sent gets a message whose pixel records nothing', async () => {
  const people = await givenTrackedSubscribers(4);
  const [withdrawing, staying] = people;
  let withdrawn = false;
  worker = await testCampaignRunner(runtime, {
    concurrency: 1,
    // Between SES's answer to their chunk and its records: the person turns tracking off on their
    // preference page. Chunks run one at a time, so the first `sent` after their email is theirs.
    crashAt: async (point) => {
      if (point !== 'sent' || withdrawn) return;
      if ((await sentMailTo(withdrawing?.email ?? '')).length === 0) return;
      withdrawn = true;
      await withdrawTracking(withdrawing?.contactId ?? '');
    },
  });
  const campaign = await createdCampaign(runtime, {
    name: 'Tracked news',
    listId: 'news',
    subject: 'Tracked news',
    html: '<p>Hello</p>',
  });
  expect((await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST')).status).toBe(
    200,
  );
  const done = await waitForCampaign(runtime, campaign.campaignId);
  expect(done.progress).toMatchObject({ sent: 4, remaining: 0 });
  expect(withdrawn).toBe(true);

  const withdrawnRecord = await storedCampaignMessage(
    runtime,
    campaign.campaignId,
    withdrawing?.contactId ?? '',
  );
  expect(withdrawnRecord).toMatchObject({ tracked: true, trackingConsent: false });
  expect(withdrawnRecord?.[OPENABLE_ATTRIBUTE]).toBeUndefined();
  const stayingRecord = await storedCampaignMessage(runtime, campaign.campaignId, staying?.contactId ?? '');
  expect(stayingRecord).toMatchObject({ trackingConsent: true, [OPENABLE_ATTRIBUTE]: 'per-person' });

  // The pixel in the email they got records nothing.
  const html = (await sentMailTo(withdrawing?.email ?? '')).at(-1)?.body.html ?? '';
  const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1];
  expect(pixel).toBeDefined();
  await publicAppFor(runtime).request(pixel ?? '', { headers: { 'user-agent': 'Mozilla/5.0 Chrome/124.0' } });
  const after = await storedCampaignMessage(runtime, campaign.campaignId, withdrawing?.contactId ?? '');
  expect(after?.openCount).toBeUndefined();
});

it('several people who withdraw tracking during one chunk: each record loses openable, read back in one batched read', async () => {
  const people = await givenTrackedSubscribers(4);
  const withdrawing = people.slice(0, 2);
  const created = await createdCampaign(runtime, {
    name: 'Tracked news',
    listId: 'news',
    subject: 'Tracked news',
    html: '<p>Hello</p>',
  });
  const campaign = await findCampaign(accessOf(runtime), created.campaignId);
  if (campaign === undefined) throw new Error('campaign missing');
  // The chunk's own clients, so only its requests are counted; the withdrawals go through the test's.
  const worker = withOwnClients(runtime);
  const deps = {
    ...recipientDependenciesOf(worker),
    // Between SES's answer and the chunk's records: two of its four recipients turn tracking off.
    crashAt: async (point: string) => {
      if (point === 'sent') for (const person of withdrawing) await withdrawTracking(person.contactId);
    },
  };
  const all = countRequests(worker.clients.dynamoDb);
  const outcomes = await sendToChunk(
    deps,
    campaign,
    people.map((person) => person.contactId),
  );
  const counts = all.take();
  worker.clients.dynamoDb.destroy();

  expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
  for (const [index, person] of people.entries()) {
    const record = await storedCampaignMessage(runtime, campaign.campaignId, person.contactId);
    if (index < withdrawing.length) {
      expect(record).toMatchObject({ tracked: true, trackingConsent: false });
      expect(record?.[OPENABLE_ATTRIBUTE]).toBeUndefined();
    } else expect(record).toMatchObject({ trackingConsent: true, [OPENABLE_ATTRIBUTE]: 'per-person' });
  }
  // The count of erasures and withdrawals, before and after (one GetItem each), and no GetItem per
  // recipient: their contacts are read back with the chunk's batched reads (contact, subscription and
  // suppression each, the list once; then the four openable records' contacts).
  expect(counts.GetItem?.requests).toBe(2);
  expect(counts.BatchGetItem?.items).toBe(4 * 3 + 1 + 4);
});
