import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createCampaignSesClient } from '../../shared/aws-clients';
import { SimulatedCrash } from '../../shared/campaigns/task-run';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import { keyPrefix } from '../../shared/data-model';
import { createLogger } from '../../shared/log';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import { OPENABLE_ATTRIBUTE } from '../../shared/tracking/tracking-modes';
import { publicAppFor } from '../support/apps';
import {
  adminJson,
  type CampaignBody,
  createdCampaign,
  storedCampaignMessage,
  testCampaignRunner,
  waitForCampaign,
} from '../support/campaigns';
import { accessOf, givenList, scanAllItems } from '../support/consent-fixtures';
import { injectBulkEntryResults } from '../support/fake-ses';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers, givenTrackingAllowed } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/** Campaigns end to end: admin API → stream → worker → SES emulator, against DynamoDB Local. */

let runtime: Runtime;
let runners: CampaignRunner[] = [];

async function startWorker(options: Parameters<typeof testCampaignRunner>[1] = {}) {
  const runner = await testCampaignRunner(runtime, options);
  runners.push(runner);
  return runner;
}

function createCampaign(body: Record<string, unknown>): Promise<CampaignBody> {
  return createdCampaign(runtime, {
    name: 'November news',
    listId: 'news',
    subject: 'Hello {{firstName|there}}',
    html: '<p>Hi {{firstName|there}}, here is the news.</p>',
    ...body,
  });
}

async function start(campaignId: string) {
  const { status, body } = await adminJson(runtime, `/admin/v1/campaigns/${campaignId}/start`, 'POST');
  expect(status, JSON.stringify(body)).toBe(200);
  return body as unknown as CampaignBody;
}

/** The send ledger: every message record the campaign left, by contact. */
async function ledgerOf(contactIds: string[], campaignId: string) {
  const counts = new Map<string, string[]>();
  for (const contactId of contactIds) {
    const { Items } = await runtime.clients.documents.send(
      new QueryCommand({
        TableName: runtime.config.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :messages)',
        FilterExpression: 'campaignId = :campaign',
        ExpressionAttributeValues: {
          ':pk': keyPrefix('contact', 'pk', { contactId }),
          ':messages': 'MESSAGE#',
          ':campaign': campaignId,
        },
        ConsistentRead: true,
      }),
    );
    counts.set(
      contactId,
      (Items ?? []).map((item) => String(item.status)),
    );
  }
  return counts;
}

/** Polls until no task of the campaign is pending, running or deferred: each is parked or done. */
async function untilEveryTaskParkedOrDone(campaignId: string) {
  const deadline = Date.now() + POLL_DEADLINE_MS;
  for (;;) {
    const tasks = (await scanAllItems(runtime)).filter(
      (item) => item.entity === 'campaignTask' && item.campaignId === campaignId,
    );
    const busy = tasks.filter((task) => task.status !== 'parked' && task.status !== 'done');
    if (tasks.length > 0 && busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`tasks not at rest: ${JSON.stringify(busy)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function mailsWithSubject(email: string, subject: string) {
  return (await sentMailTo(email)).filter((mail) => mail.subject === subject);
}

/**
 * While the runner is stopped dead before a claim: the one task it was running is still of `kind` (a
 * planner's page not written) and carries no claim.
 */
async function expectUnclaimedTaskOf(campaignId: string, kind: 'plan' | 'send') {
  const running = (await scanAllItems(runtime)).filter(
    (item) => item.entity === 'campaignTask' && item.campaignId === campaignId && item.status === 'running',
  );
  expect(running.map((task) => [task.kind, task.claim])).toEqual([[kind, undefined]]);
}

const allowTracking = (contactId: string) => givenTrackingAllowed(runtime, contactId);

/** Loads the pixel of the campaign email `email` got, as a mail client would; whether it counted an open. */
async function openRecordedBy(email: string, campaignId: string, contactId: string) {
  const html = (await sentMailTo(email)).at(-1)?.body.html ?? '';
  const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1];
  expect(pixel).toBeDefined();
  await publicAppFor(runtime).request(pixel ?? '', { headers: { 'user-agent': 'Mozilla/5.0 Chrome/124.0' } });
  const record = await storedCampaignMessage(runtime, campaignId, contactId);
  return record?.openCount !== undefined;
}

beforeEach(async () => {
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '200' });
  await givenList(runtime, { listId: 'news', trackingMode: 'per-person' });
});

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
});

describe('createCampaign', () => {
  it('refuses what could never be sent, before anything is stored', async () => {
    const unknownPlaceholder = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'x',
      listId: 'news',
      subject: 'Hi {{fristName}}',
      text: 'Body',
    });
    expect(unknownPlaceholder.status).toBe(400);
    expect(JSON.stringify(unknownPlaceholder.body)).toContain('{{fristName}}');

    const deceptive = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'x',
      listId: 'news',
      subject: 'RE: your order',
      text: 'Body',
    });
    expect(deceptive.status).toBe(422);

    const noList = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'x',
      listId: 'no-such-list',
      subject: 'Hi',
      text: 'Body',
    });
    expect(noList.status).toBe(404);

    const past = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'x',
      listId: 'news',
      subject: 'Hi',
      text: 'Body',
      scheduledAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);

    const listed = await adminJson(runtime, '/admin/v1/campaigns');
    expect(listed.body.campaigns).toEqual([]);
  });

  it('refuses a placeholder where it cannot be filled in, in any language’s HTML (400 misplaced_placeholder)', async () => {
    const misplaced = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'x',
      listId: 'news',
      content: {
        en: { subject: 'News', html: '<p>Hello</p><div {{firstName}}>Our news</div>' },
        fr: { subject: 'Nouvelles', html: '<body style=color:{{name|black}}><p>Bonjour</p></body>' },
      },
    });
    expect(misplaced.status).toBe(400);
    expect(misplaced.body.error).toMatchObject({
      code: 'misplaced_placeholder',
      message: expect.any(String),
      details: [
        { path: 'html', code: 'misplaced_placeholder', message: expect.stringContaining('{{firstName}}') },
        {
          path: 'content.fr.html',
          code: 'misplaced_placeholder',
          message: expect.stringContaining('{{name|black}} is in an unquoted attribute value'),
        },
      ],
    });
    expect((await adminJson(runtime, '/admin/v1/campaigns')).body.campaigns).toEqual([]);
  });

  it('answers 409 for a change the status does not allow, and 404 for an unknown campaign', async () => {
    const campaign = await createCampaign({});
    expect(
      (await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/pause`, 'POST')).status,
    ).toBe(409);
    expect(
      (await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/resume`, 'POST')).status,
    ).toBe(409);
    expect((await adminJson(runtime, '/admin/v1/campaigns/nope/start', 'POST')).status).toBe(404);
    expect((await adminJson(runtime, '/admin/v1/campaigns/nope')).status).toBe(404);
  });
});

describe('a campaign to a list', () => {
  it('reaches every confirmed subscriber exactly once, personalised, with progress to match', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 60, {
      names: (index) => (index % 2 === 0 ? `Ada${index} Lovelace` : null),
    });
    await startWorker();
    const campaign = await createCampaign({ tracking: false });
    expect(campaign.status).toBe('draft');
    await start(campaign.campaignId);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(done.progress).toMatchObject({
      total: 60,
      planningDone: true,
      sent: 60,
      skippedTotal: 0,
      failed: 0,
      uncertain: 0,
      remaining: 0,
    });
    const [named, unnamed] = [people[0], people[1]];
    const [mail] = await mailsWithSubject(named?.email ?? '', 'Hello Ada0');
    expect(mail?.body.html).toContain('Hi Ada0, here is the news.');
    expect(mail?.body.html).not.toContain('/v1/pixel');
    expect(mail?.headers?.find((header) => header.name === 'List-Unsubscribe-Post')?.value).toBe(
      'List-Unsubscribe=One-Click',
    );
    expect(await mailsWithSubject(unnamed?.email ?? '', 'Hello there')).toHaveLength(1);
    const ledger = await ledgerOf(
      people.map((person) => person.contactId),
      campaign.campaignId,
    );
    expect([...ledger.values()].every((statuses) => statuses.length === 1 && statuses[0] === 'sent')).toBe(
      true,
    );
  });

  it('starts a scheduled campaign by itself when its time comes', async () => {
    const [person] = await givenConfirmedSubscribers(runtime, 'news', 1);
    await startWorker();
    const campaign = await createCampaign({
      subject: 'Scheduled news',
      scheduledAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect(campaign.status).toBe('scheduled');
    await waitForCampaign(runtime, campaign.campaignId);
    expect(await mailsWithSubject(person?.email ?? '', 'Scheduled news')).toHaveLength(1);
  });

  it('honours an unsubscribe made while the campaign is running for every later recipient', async () => {
    runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '10' });
    await givenList(runtime, { listId: 'news' });
    const people = await givenConfirmedSubscribers(runtime, 'news', 8);
    const campaign = await createCampaign({ subject: 'Mid-campaign news' });
    let unsubscribed: string[] = [];
    // One task at a time, one recipient per chunk: "later" is well defined.
    await startWorker({
      concurrency: 1,
      afterRecipientSent: async (contactId) => {
        if (unsubscribed.length > 0) return;
        unsubscribed = people
          .map((person) => person.contactId)
          .filter((id) => id !== contactId)
          .slice(0, 3);
        for (const id of unsubscribed) {
          const { status } = await adminJson(runtime, `/admin/v1/contacts/${id}/unsubscribe`, 'POST', {
            listId: 'news',
          });
          expect(status).toBe(200);
        }
      },
    });
    await start(campaign.campaignId);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    // Each is either left out by the planner of their shard (planned after they left: a planner sends its
    // own batch before the next one plans) or skipped when their batch is sent; nobody is sent to.
    expect(done.progress).toMatchObject({ sent: 5, remaining: 0 });
    expect(done.progress.total).toBe(5 + (done.progress.skipped.unsubscribed ?? 0));
    for (const person of people) {
      const expected = unsubscribed.includes(person.contactId) ? 0 : 1;
      expect(await mailsWithSubject(person.email, 'Mid-campaign news')).toHaveLength(expected);
    }
    // One recipient per chunk at 10 a second, each chunk a task run of its own: about 9 s on a quiet
    // machine (vitest.config.ts gives every test 120 s).
  });

  it('pauses, resumes where it stopped, and cancels', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 30);
    const campaign = await createCampaign({ subject: 'Paused news' });
    let pausing: Promise<void> | undefined;
    await startWorker({
      concurrency: 2,
      // Each worker that sent waits until the pause is stored, so only the chunks already in flight go
      // out after it, however slowly a starved machine answers the pause.
      afterRecipientSent: async () => {
        pausing ??= adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/pause`, 'POST').then(
          ({ status }) => expect(status).toBe(200),
        );
        await pausing;
      },
    });
    await start(campaign.campaignId);
    const whilePaused = await waitForCampaign(
      runtime,
      campaign.campaignId,
      (current) => current.status === 'paused',
    );
    // The workers reached their next chunk and parked: waited for, not given a fixed time.
    await untilEveryTaskParkedOrDone(campaign.campaignId);
    const sentWhilePaused = (await waitForCampaign(runtime, campaign.campaignId, () => true)).progress.sent;
    expect(sentWhilePaused).toBeLessThan(30);
    expect(whilePaused.status).toBe('paused');
    // Parked stays parked: the sweeps of the next second (every 200 ms) wake nothing.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await waitForCampaign(runtime, campaign.campaignId, () => true)).progress.sent).toBe(
      sentWhilePaused,
    );

    expect(
      (await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/resume`, 'POST')).status,
    ).toBe(200);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(done.progress).toMatchObject({ sent: 30, remaining: 0 });
    for (const person of people) expect(await mailsWithSubject(person.email, 'Paused news')).toHaveLength(1);

    const cancelled = await createCampaign({ subject: 'Cancelled news' });
    const answer = await adminJson(runtime, `/admin/v1/campaigns/${cancelled.campaignId}/cancel`, 'POST');
    expect(answer.body.status).toBe('cancelled');
    expect(
      (await adminJson(runtime, `/admin/v1/campaigns/${cancelled.campaignId}/start`, 'POST')).status,
    ).toBe(409);
  });
});

describe('crashes and throttling', () => {
  it('a worker killed mid-campaign and restarted sends to everyone exactly once', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 40);
    const campaign = await createCampaign({ subject: 'Crash-proof news' });
    let sent = 0;
    const doomed = await startWorker({
      afterRecipientSent: () => {
        sent++;
        if (sent === 12) throw new SimulatedCrash('killed after the 12th recipient');
      },
    });
    await start(campaign.campaignId);
    await doomed.crashed;
    await doomed.stop();
    const atCrash = await waitForCampaign(runtime, campaign.campaignId, () => true);
    expect(atCrash.status).toBe('running');
    expect(atCrash.progress.sent).toBeLessThan(40);

    await startWorker();
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(done.progress).toMatchObject({ total: 40, sent: 40, uncertain: 0, remaining: 0 });
    const ledger = await ledgerOf(
      people.map((person) => person.contactId),
      campaign.campaignId,
    );
    for (const person of people) {
      expect(ledger.get(person.contactId)).toEqual(['sent']);
      expect(await mailsWithSubject(person.email, 'Crash-proof news')).toHaveLength(1);
    }
  });

  // A crash between every two steps of a chunk (send-chunk.ts, docs/campaigns.md "Crashes"): nobody is sent
  // twice and nobody is skipped. A crash after the claim and before the records leaves the chunk's
  // recipients `uncertain` (counted, never resent): after 'claimed' none of them got the email, after
  // 'sent' each got it once; before the claim ('decided') and from the records on, everyone is `sent`.
  // Both shapes of work: a planner that sends its shard's last batch itself (its first claim is the
  // transaction that writes its page, so 'decided' is before that transaction), and send tasks a planner
  // wrote (pages of one subscriber). One task at a time, the 16 planners first: at most 16 chunks are
  // planners', so the 20th is a send task's.
  const shapes = {
    'its planner': { options: {}, crashAt: 2, kind: 'plan' },
    'a send task of its own': { options: { planPageSize: 1 }, crashAt: 20, kind: 'send' },
  } as const;
  it.each(
    (['decided', 'claimed', 'sent', 'written', 'recorded', 'committed'] as const).flatMap((step) =>
      (Object.keys(shapes) as (keyof typeof shapes)[]).map((shape) => [step, shape] as const),
    ),
  )(
    'a worker killed after a chunk is %s (sent by %s), then restarted, sends to everyone at most once and skips nobody',
    async (step, shape) => {
      const people = await givenConfirmedSubscribers(runtime, 'news', 30);
      const subject = `Crash at ${step}`;
      const campaign = await createCampaign({ subject });
      let reached = 0;
      const doomed = await startWorker({
        ...shapes[shape].options,
        concurrency: 1,
        crashAt: (point) => {
          if (point === step && ++reached === shapes[shape].crashAt) {
            throw new SimulatedCrash(`killed when ${step}`);
          }
        },
      });
      await start(campaign.campaignId);
      await doomed.crashed;
      await doomed.stop();
      if (step === 'decided') await expectUnclaimedTaskOf(campaign.campaignId, shapes[shape].kind);

      await startWorker(shapes[shape].options);
      const done = await waitForCampaign(runtime, campaign.campaignId);
      const ledger = await ledgerOf(
        people.map((person) => person.contactId),
        campaign.campaignId,
      );
      const mails = new Map<string, number>();
      for (const person of people) {
        mails.set(person.contactId, (await mailsWithSubject(person.email, subject)).length);
      }
      const uncertain = people.filter((person) => ledger.get(person.contactId)?.[0] === 'uncertain');
      expect(done.progress).toMatchObject({ total: 30, remaining: 0, skippedTotal: 0, failed: 0 });
      expect(done.progress.sent + done.progress.uncertain).toBe(30);
      expect(done.progress.uncertain).toBe(uncertain.length);
      for (const person of people) {
        const statuses = ledger.get(person.contactId) ?? [];
        expect(statuses).toHaveLength(1);
        expect(['sent', 'uncertain']).toContain(statuses[0]);
        if (statuses[0] === 'sent') expect(mails.get(person.contactId)).toBe(1);
      }
      if (step === 'claimed' || step === 'sent') {
        expect(uncertain.length).toBeGreaterThan(0);
        for (const person of uncertain) expect(mails.get(person.contactId)).toBe(step === 'sent' ? 1 : 0);
      } else {
        expect(uncertain).toEqual([]);
      }
    },
  );

  // A person who erases their data, or withdraws tracking, while SES handles their chunk, and a worker
  // killed once the chunk's records are written, before it checks them against what began meanwhile
  // (docs/campaigns.md, "Erasures during a chunk", "Tracking withdrawals during a chunk"): the chunk is
  // redone, finds their record written, and must still check it.
  const meanwhile = {
    'erases their data': async (person: { contactId: string }) => {
      await eraseContact({ access: accessOf(runtime), logger: runtime.logger }, person.contactId, {
        requestedBy: 'test',
      });
    },
    'withdraws tracking': async (person: { contactId: string }) => {
      const contact = (await findContact(accessOf(runtime), person.contactId)) as Contact;
      await setTrackingConsent(
        { access: accessOf(runtime) },
        { contact, granted: false, evidence: { source: 'preference-page' } },
      );
    },
  } as const;
  it.each(Object.keys(meanwhile) as (keyof typeof meanwhile)[])(
    'a person who %s while their chunk is with SES, then a worker killed between the records and their checks: the redone chunk checks their record',
    async (change) => {
      const people = await givenConfirmedSubscribers(runtime, 'news', 4);
      for (const person of people) await allowTracking(person.contactId);
      const [changing, staying] = people as [(typeof people)[number], (typeof people)[number]];
      let changed = false;
      const doomed = await startWorker({
        concurrency: 1,
        // Chunks run one at a time, so the first 'sent' after their email left is their chunk's.
        crashAt: async (point) => {
          if (point === 'sent' && !changed && (await sentMailTo(changing.email)).length > 0) {
            changed = true;
            await meanwhile[change](changing);
          } else if (point === 'written' && changed) {
            throw new SimulatedCrash('killed between the records and their checks');
          }
        },
      });
      const campaign = await createCampaign({ subject: 'Checked after a crash' });
      await start(campaign.campaignId);
      await doomed.crashed;
      await doomed.stop();

      await startWorker();
      const done = await waitForCampaign(runtime, campaign.campaignId);
      expect(done.progress).toMatchObject({ total: 4, sent: 4, uncertain: 0, remaining: 0 });
      for (const person of people) {
        expect(await mailsWithSubject(person.email, 'Checked after a crash')).toHaveLength(1);
      }
      const record = await storedCampaignMessage(runtime, campaign.campaignId, changing.contactId);
      expect(record?.status).toBe('sent');
      expect(record?.[OPENABLE_ATTRIBUTE]).toBeUndefined();
      if (change === 'erases their data') {
        expect(record?.anonymisedAt).toEqual(expect.any(String));
        expect(record).not.toHaveProperty('headers');
        expect(record).not.toHaveProperty('sesMessageId');
      }
      // Their pixel records nothing; the others' still does.
      expect(await openRecordedBy(changing.email, campaign.campaignId, changing.contactId)).toBe(false);
      expect(await openRecordedBy(staying.email, campaign.campaignId, staying.contactId)).toBe(true);
    },
  );

  it('retries a call that never reached SES without slowing every worker down', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 20);
    const campaign = await createCampaign({ subject: 'Reset news' });
    // The worker's own kind of client: no SDK retries, so the worker sees the reset.
    const ses = createCampaignSesClient(runtime.config);
    // The first SendBulkEmail meets a connection the server had just closed: nothing reached SES.
    let resets = 0;
    ses.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendBulkEmailCommand' && resets++ === 0) {
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'simulatedReset' },
    );
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', service: 'test', write: (line) => lines.push(line) });
    runners.push(await testCampaignRunner({ ...runtime, logger }, { ses }));
    await start(campaign.campaignId);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(resets).toBeGreaterThan(1);
    expect(done.progress).toMatchObject({ total: 20, sent: 20, failed: 0, uncertain: 0, remaining: 0 });
    for (const person of people) expect(await mailsWithSubject(person.email, 'Reset news')).toHaveLength(1);
    const messages = lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toContain(
      'SES was not reached for a campaign batch; it is retried, other workers keep their pace',
    );
  });

  it('completes when SES throttles, retrying the throttled recipients and never dropping one', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 20);
    const campaign = await createCampaign({ subject: 'Throttled news' });
    const { SESv2Client } = await import('@aws-sdk/client-sesv2');
    const ses = new SESv2Client({
      region: runtime.config.region,
      endpoint: runtime.config.sesEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Entries 7, 14 and 21 SES answers ACCOUNT_THROTTLED (sends nothing for them), within otherwise good
    // calls: two in the first pass, then the first of their retries, so one recipient is throttled twice.
    // (Each throttled chunk pushes every worker back a second and backs off itself: throttling every third
    // entry of every retry made this one test take 13-17 s for what two rounds show.)
    const throttling = injectBulkEntryResults(ses, (_, seen) =>
      seen % 7 === 0 && seen <= 21
        ? { status: 'ACCOUNT_THROTTLED', error: 'Maximum sending rate exceeded.' }
        : undefined,
    );
    await startWorker({ ses });
    await start(campaign.campaignId);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(throttling.injected()).toBe(3);
    expect(done.progress).toMatchObject({ total: 20, sent: 20, failed: 0, uncertain: 0, remaining: 0 });
    for (const person of people)
      expect(await mailsWithSubject(person.email, 'Throttled news')).toHaveLength(1);
  });
});
