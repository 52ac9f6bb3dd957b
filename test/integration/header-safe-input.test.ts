import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { findContact } from '../../shared/contacts/contacts';
import { findList } from '../../shared/lists/lists';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Text that reaches an email header (list names, welcome subjects, contact names, campaign and
 * announcement subjects) is refused at input with a 400 naming the field, and nothing is written, when
 * the send policy would later refuse it: before, these were accepted and the confirmation, welcome or
 * campaign email then silently never left (security issue, item 3).
 */

type Json = Record<string, unknown>;

/** Each character the send policy refuses in a header, between ordinary words (trimming cannot hide it). */
const unsafeCharacters: [string, string][] = [
  ['NEL (U+0085)', '\u0085'],
  ['VT', '\u000B'],
  ['TAB', '\t'],
  ['DEL', '\u007F'],
  ['NUL', '\u0000'],
  ['U+2028', '\u2028'],
  ['U+2029', '\u2029'],
  ['a right-to-left override (U+202E)', '\u202E'],
];
const withCharacter = (character: string) => `Weekly${character}news`;

let runtime: Runtime;
let streamReader: CampaignRunner;
beforeAll(async () => {
  runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
  streamReader = await testStreamReader(runtime);
  await givenList(runtime, { listId: 'news' });
});
afterAll(async () => streamReader.stop());

async function admin(method: string, path: string, body: unknown) {
  const response = await adminAppFor(runtime).request(path, {
    method,
    headers: {
      authorization: `Bearer ${runtime.config.adminApiKey}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function subscribe(fields: Json) {
  const response = await publicAppFor(runtime).request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  await untilRequestsProcessed(runtime);
  return { status: response.status, body: (await response.json()) as Json };
}

function expectBadRequestNaming(answer: { status: number; body: Json }, path: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  const error = answer.body.error as { code: string; details?: { path: string; message: string }[] };
  expect(error.code).toBe('validation_failed');
  expect(error.details).toContainEqual({ path, message: expect.stringMatching(/control characters/) });
}

const newList = (listId: string, overrides: Json = {}) => ({
  listId,
  texts: { en: { name: 'Weekly news', description: '' } },
  ...overrides,
});

const welcomeWith = (subject: string) => ({
  welcomeEmail: { enabled: true, content: { en: { subject, text: 'Welcome aboard.' } } },
});

describe.each(unsafeCharacters)('text with %s that would reach a header', (_name, character) => {
  const text = withCharacter(character);

  it('is refused as a list name (admin create and update), and the list is not written', async () => {
    const listId = `list-${randomUUID().slice(0, 8)}`;
    const created = await admin('POST', '/admin/v1/lists', {
      ...newList(listId),
      texts: { en: { name: 'Weekly news', description: '' }, fr: { name: text, description: '' } },
    });
    expectBadRequestNaming(created, 'body.texts.fr.name');
    expect(await findList(accessOf(runtime), listId)).toBeUndefined();

    const before = await findList(accessOf(runtime), 'news');
    const updated = await admin('PATCH', '/admin/v1/lists/news', {
      texts: { en: { name: text, description: '' } },
    });
    expectBadRequestNaming(updated, 'body.texts.en.name');
    expect(await findList(accessOf(runtime), 'news')).toEqual(before);
  });

  it('is refused as a welcome subject, and the list is not written', async () => {
    const listId = `welcome-${randomUUID().slice(0, 8)}`;
    const created = await admin('POST', '/admin/v1/lists', { ...newList(listId), ...welcomeWith(text) });
    expectBadRequestNaming(created, 'body.welcomeEmail.content.en.subject');
    expect(await findList(accessOf(runtime), listId)).toBeUndefined();
  });

  it('is refused as a contact name (admin create and rectify), and nothing changes', async () => {
    const email = `named-${randomUUID()}@example.org`;
    const created = await admin('POST', '/admin/v1/contacts', { email, name: text });
    expectBadRequestNaming(created, 'body.name');

    const valid = await admin('POST', '/admin/v1/contacts', { email, name: 'Ada' });
    expect(valid.status).toBe(201);
    const contactId = String((valid.body.contact as Json).contactId);
    const rectified = await admin('PATCH', `/admin/v1/contacts/${contactId}`, { name: text });
    expectBadRequestNaming(rectified, 'body.name');
    expect((await findContact(accessOf(runtime), contactId))?.name).toBe('Ada');
  });

  it('is refused as the name given at signup (public API), and nothing is written', async () => {
    const before = await countItems(runtime);
    const answer = await subscribe({
      email: `signup-${randomUUID()}@example.org`,
      lists: ['news'],
      name: text,
    });
    expectBadRequestNaming(answer, 'body.name');
    expect(await countItems(runtime)).toBe(before);
  });

  it('is refused as a campaign or announcement subject, and nothing is written', async () => {
    const before = await countItems(runtime);
    const campaign = await admin('POST', '/admin/v1/campaigns', {
      name: 'News',
      listId: 'news',
      subject: text,
      text: 'Hello',
    });
    expectBadRequestNaming(campaign, 'body.subject');
    const announcement = await admin('POST', '/admin/v1/announcements', {
      category: 'maintenance',
      subject: text,
      text: 'We will be down for an hour on Sunday.',
    });
    expectBadRequestNaming(announcement, 'body.subject');
    expect(await countItems(runtime)).toBe(before);
  });
});

describe('what is accepted can be sent', () => {
  it('refuses a welcome subject the policy would refuse (a fake reply, nothing visible) with a 400', async () => {
    for (const subject of ['RE: your subscription', '\u200B\u200B']) {
      const listId = `fake-reply-${randomUUID().slice(0, 8)}`;
      const created = await admin('POST', '/admin/v1/lists', { ...newList(listId), ...welcomeWith(subject) });
      expect(created.status, subject).toBe(400);
      expect(JSON.stringify(created.body)).toContain('body.welcomeEmail.content.en.subject');
      expect(await findList(accessOf(runtime), listId)).toBeUndefined();
    }
  });

  it('sends the confirmation and welcome emails of lists named in any script, with the text intact', async () => {
    const run = randomUUID().slice(0, 8);
    const name = 'Новости · أخبار · 新闻 · Ünïcødé 🎉';
    const welcomeSubject = 'Bienvenue à bord ✉️ — שלום';
    const lists = [
      { ...newList(`confirm-${run}`), texts: { en: { name, description: '' } } },
      { ...newList(`welcome-${run}`), doubleOptIn: false, ...welcomeWith(welcomeSubject) },
    ];
    for (const list of lists) {
      const created = await admin('POST', '/admin/v1/lists', list);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const wording = { locale: 'en', text: 'Yes, send me the news.' };
      expect((await admin('POST', `/admin/v1/lists/${list.listId}/consent-texts`, wording)).status).toBe(201);
    }

    const email = `world-${randomUUID()}@example.org`;
    const signup = await subscribe({ email, lists: lists.map((list) => list.listId), name: 'Zoë ✨' });
    expect(signup.status).toBe(202);
    await expect
      .poll(async () => (await sentMailTo(email)).map((mail) => mail.subject).sort())
      .toEqual([`Please confirm your subscription to ${name}`, welcomeSubject].sort());
  });

  it('sends the confirmation for five lists with the longest names, its subject shortened to fit', async () => {
    const run = randomUUID().slice(0, 8);
    const listIds = Array.from({ length: 5 }, (_, index) => `long-${run}-${index}`);
    await Promise.all(
      listIds.map((listId, index) => {
        const name = `${index} ${'Long list name '.repeat(20)}`.slice(0, 200);
        return givenList(runtime, { listId, texts: { en: { name, description: '' } } });
      }),
    );
    const email = `many-${randomUUID()}@example.org`;
    expect((await subscribe({ email, lists: listIds })).status).toBe(202);
    await expect
      .poll(async () => (await sentMailTo(email)).map((mail) => mail.subject))
      .toEqual([expect.stringMatching(/^Please confirm your subscription to 0 Long list name .*…$/)]);
    const [mail] = await sentMailTo(email);
    expect(mail?.subject.length).toBeLessThanOrEqual(870);
  });

  it('refuses a campaign whose subject a nameless or long-named subscriber would not receive (422)', async () => {
    for (const subject of ['{{firstName}}', `${'s'.repeat(700)} {{name}}`]) {
      const before = await countItems(runtime);
      const answer = await admin('POST', '/admin/v1/campaigns', {
        name: 'News',
        listId: 'news',
        subject,
        text: 'Hello',
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(422);
      expect(JSON.stringify(answer.body)).toMatch(/"path":"subject"/);
      expect(await countItems(runtime)).toBe(before);
    }
  });
});
