import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { personalise } from '../../shared/campaigns/personalise';
import { findContactByEmail } from '../../shared/contacts/contacts';
import { findList } from '../../shared/lists/lists';
import type { Runtime } from '../../shared/runtime';
import { subjectAsSent } from '../../shared/validation/rules';
import { adminRequest, publicAppFor } from '../support/apps';
import { adminJson, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { accessOf, countItems, givenList } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Fuzzing every text field that reaches an email's headers, through the APIs as an operator or a
 * stranger would use them: each input is either refused with a clear 4xx and nothing is written, or the
 * email carrying it is sent with the text intact. Never a 2xx followed by silence (security issue, item 3).
 * HEADER_FUZZ_RUNS searches deeper (default 10 per field).
 */

const RUNS = Number(process.env.HEADER_FUZZ_RUNS ?? 10);

/** Text rich in what breaks headers: controls, separators, bidi controls, surrogates, invisibles, emoji. */
const hostileText = fc.string({
  unit: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('\u0000', '\t', '\n', '\u000B', '\r', '\u007F', '\u0085') },
    { weight: 1, arbitrary: fc.constantFrom('\u2028', '\u2029', '\u202E', '\u2066', '\uD800', '\u009B') },
    { weight: 2, arbitrary: fc.constantFrom('\u200B', '\u200F', '\u00A0', '\uFEFF', '🎉', 'é', 'א', '新') },
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }) },
  ),
  maxLength: 30,
});

type Json = Record<string, unknown>;

let runtime: Runtime;
let runner: CampaignRunner;
beforeAll(async () => {
  runtime = await createTestRuntime({
    SIGNUP_LIMIT_PER_IP_PER_HOUR: '100000',
    CAMPAIGN_MAX_SEND_RATE: '200',
  });
  runner = await testCampaignRunner(runtime);
});
afterAll(async () => {
  await runner.stop();
});

async function admin(method: string, path: string, body?: unknown) {
  const response = await adminRequest(runtime, path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function subscribe(body: Json) {
  const response = await publicAppFor(runtime).request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await untilRequestsProcessed(runtime);
  return { status: response.status, body: (await response.json()) as Json };
}

/** A refusal is a 4xx with a stable error code, never a 5xx or a bare status. */
function expectClearRefusal(answer: { status: number; body: Json }) {
  expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
}

const subjectsSentTo = async (email: string) => (await sentMailTo(email)).map((mail) => mail.subject).sort();

async function createListWith(listId: string, fields: Json) {
  const answer = await admin('POST', '/admin/v1/lists', {
    listId,
    texts: { en: { name: 'Fuzzed list', description: '' } },
    ...fields,
  });
  if (answer.status !== 201) {
    expectClearRefusal(answer);
    expect(await findList(accessOf(runtime), listId)).toBeUndefined();
    return undefined;
  }
  const wording = await admin('POST', `/admin/v1/lists/${listId}/consent-texts`, {
    locale: 'en',
    text: 'Yes, send me the news.',
  });
  expect(wording.status).toBe(201);
  return answer.body;
}

describe('fuzzed text that reaches a header', () => {
  it('list names and welcome subjects: refused at input, or the confirmation and welcome carry them intact', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText, hostileText, async (name, welcomeSubject) => {
        const run = randomUUID().slice(0, 8);
        const named = await createListWith(`named-${run}`, { texts: { en: { name, description: '' } } });
        const welcoming = await createListWith(`welcome-${run}`, {
          doubleOptIn: false,
          welcomeEmail: { enabled: true, content: { en: { subject: welcomeSubject, text: 'Welcome.' } } },
        });
        const lists = [named, welcoming].filter((list) => list !== undefined);
        if (lists.length === 0) return;

        const email = `fuzz-${run}@example.org`;
        const signup = await subscribe({ email, lists: lists.map((list) => list.listId) });
        expect(signup.status).toBe(202);
        const expected = lists.map((list) =>
          list === named
            ? `Please confirm your subscription to ${(list.texts as { en: { name: string } }).en.name}`
            : (list.welcomeEmail as { content: { en: { subject: string } } }).content.en.subject,
        );
        await expect.poll(() => subjectsSentTo(email)).toEqual(expected.sort());
      }),
      { numRuns: RUNS },
    );
  });

  it('contact names (signup and admin): refused at input, or a campaign reaches every contact with the name intact', async () => {
    await givenList(runtime, { listId: 'names', doubleOptIn: false });
    const accepted: { email: string; name: string | null }[] = [];
    await fc.assert(
      fc.asyncProperty(hostileText, fc.boolean(), async (name, throughSignup) => {
        const email = `named-${randomUUID()}@example.org`;
        const before = await countItems(runtime);
        const answer = throughSignup
          ? await subscribe({ email, lists: ['names'], name })
          : await admin('POST', '/admin/v1/contacts', {
              email,
              name,
              lists: [
                {
                  listId: 'names',
                  optIn: { at: '2025-01-01T00:00:00Z', source: 'https://example.org', consentTextVersion: 1 },
                },
              ],
            });
        if (answer.status >= 400) {
          expectClearRefusal(answer);
          expect(await countItems(runtime)).toBe(before);
          return;
        }
        const contact = await findContactByEmail(accessOf(runtime), runtime.config.emailHashSecret, email);
        expect(contact).toBeDefined();
        accepted.push({ email, name: contact?.name ?? null });
      }),
      { numRuns: RUNS },
    );

    const campaign = await admin('POST', '/admin/v1/campaigns', {
      name: 'Names',
      listId: 'names',
      subject: 'News for {{name|friend}}',
      text: 'Hello {{name|friend}}',
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    const campaignId = String(campaign.body.campaignId);
    expect((await admin('POST', `/admin/v1/campaigns/${campaignId}/start`)).status).toBe(200);
    const done = await waitForCampaign(runtime, campaignId);
    expect(done.progress).toMatchObject({ sent: accepted.length, skippedTotal: 0, failed: 0 });
    for (const { email, name } of accepted) {
      expect(await subjectsSentTo(email)).toEqual([`News for ${name?.trim() || 'friend'}`]);
    }
  });

  it('campaign subjects: refused at input, or every subscriber receives the subject intact', async () => {
    await givenList(runtime, { listId: 'subjects' });
    const email = `reader-${randomUUID()}@example.org`;
    const created = await admin('POST', '/admin/v1/contacts', {
      email,
      name: 'Ada',
      lists: [
        {
          listId: 'subjects',
          optIn: { at: '2025-01-01T00:00:00Z', source: 'https://example.org', consentTextVersion: 1 },
        },
      ],
    });
    expect(created.status).toBe(201);
    const expected: string[] = [];
    const campaignIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(hostileText, async (subject) => {
        const before = await adminJson(runtime, '/admin/v1/campaigns');
        const answer = await admin('POST', '/admin/v1/campaigns', {
          name: 'Fuzzed',
          listId: 'subjects',
          subject,
          text: 'Hello',
        });
        if (answer.status >= 400) {
          expectClearRefusal(answer);
          expect(await adminJson(runtime, '/admin/v1/campaigns')).toEqual(before);
          return;
        }
        campaignIds.push(String(answer.body.campaignId));
        expected.push(subjectAsSent(personalise(String(answer.body.subject), { name: 'Ada' }, 'text')));
      }),
      { numRuns: RUNS },
    );

    for (const campaignId of campaignIds) {
      expect((await admin('POST', `/admin/v1/campaigns/${campaignId}/start`)).status).toBe(200);
    }
    for (const campaignId of campaignIds) {
      const done = await waitForCampaign(runtime, campaignId);
      expect(done.progress, campaignId).toMatchObject({ sent: 1, skippedTotal: 0, failed: 0 });
    }
    expect(await subjectsSentTo(email)).toEqual(expected.sort());
  });
});
