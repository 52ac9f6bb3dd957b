import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import type { TableAccess } from '../../shared/table-access';
import { createTokenSigner } from '../../shared/tokens';
import { accessOf, givenList, recordsOf, scanAllItems } from '../support/consent-fixtures';
import { consentRequests } from '../support/consent-requests';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * An erasure leaves the address's keyed hash on the suppression list (`erased`) from its first step, so
 * the address is never mailed again unless the person opts in afresh (handbook promise 7). The person's
 * own click may land while the erasure is under way (between its first step and the deletion of the
 * profile): it must not lift the suppression the erasure just wrote, or the address, its contact gone,
 * is open to the next import.
 */
describe('a click of the person during their erasure', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'erasure-news' });
    await givenList(runtime, { listId: 'erasure-offers', doubleOptIn: false });
  });
  afterAll(async () => streamReader.stop());

  const address = () => `erased-${randomUUID()}@example.org`;
  const requests = consentRequests(() => runtime);
  const { publicApp, admin } = requests;
  const form = (path: string, fields: Record<string, string>) =>
    publicApp().request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const signUp = async (email: string, listId: string) => {
    const response = await requests.signUp({ email, lists: [listId] });
    expect(response.status).toBe(202);
  };
  const confirmLink = async (email: string) => {
    const mail = (await sentMailTo(email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1);
    return /confirm\?token=([\w.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
  };
  const suppressionOf = async (email: string) =>
    (
      await runtime.clients.documents.send(
        new GetCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('suppression', { emailHash: hashEmail(runtime.config.emailHashSecret, email) }),
          ConsistentRead: true,
        }),
      )
    ).Item;

  /**
   * Erases the contact as the admin route does, with `click` run right after the erasure's first step
   * (its suppression, record and ledger event written; the profile not yet deleted), or, `after` a
   * QueryCommand, right after its scan of the contact's partition.
   */
  async function eraseWithClickAfterFirstStep(
    contactId: string,
    click: () => unknown,
    after: typeof TransactWriteCommand | typeof QueryCommand = TransactWriteCommand,
  ) {
    const access = accessOf(runtime);
    let clicked = false;
    const documents = new Proxy(access.documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown) => {
          const answer = await target.send(command as never);
          if (!clicked && command instanceof after) {
            clicked = true;
            await click();
          }
          return answer;
        };
      },
    });
    const erasing: TableAccess = { ...access, documents };
    await eraseContact({ access: erasing, logger: runtime.logger }, contactId, { requestedBy: 'test' });
    expect(clicked).toBe(true);
  }

  /** What the operator's CRM sync does after the erasure: imports the address again, with evidence. */
  async function reimport(email: string, listId: string) {
    const optIn = { at: '2024-03-01T10:00:00Z', source: 'https://crm.example.com/', consentTextVersion: 1 };
    const created = await admin('/admin/v1/contacts', 'POST', { email, lists: [{ listId, optIn }] });
    expect(created.status).toBe(201);
    return (await recordsOf(runtime, email))?.contact.contactId ?? '';
  }
  const sendMarketing = (contactId: string, listId: string) =>
    admin('/admin/v1/messages', 'POST', {
      contactId,
      kind: 'marketing',
      listId,
      subject: 'News',
      text: 'Hi',
    });

  it('confirming an opt-in does not lift the erasure’s suppression', async () => {
    const email = address();
    await signUp(email, 'erasure-news');
    const token = await confirmLink(email);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';

    await eraseWithClickAfterFirstStep(contactId, () => form('/v1/confirm', { token }));

    expect(await suppressionOf(email)).toMatchObject({ reason: 'erased' });
    const recreated = await reimport(email, 'erasure-news');
    expect((await recordsOf(runtime, email))?.subscriptions.get('erasure-news')?.status).toBe('unconfirmed');
    expect((await sendMarketing(recreated, 'erasure-news')).status).toBe(422);
  });

  it('subscribing again on the preference page does not lift the erasure’s suppression', async () => {
    const email = address();
    await signUp(email, 'erasure-offers');
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    await form('/v1/preferences', { token, action: 'unsubscribe', listId: 'erasure-offers' });
    const rejoin = {
      token,
      action: 'resubscribe',
      listId: 'erasure-offers',
      consentTextVersion: '1',
      consentTextLocale: 'en',
    };

    let answer: Response | undefined;
    await eraseWithClickAfterFirstStep(contactId, async () => {
      answer = await form('/v1/preferences', rejoin);
    });
    // The person sees a dead link, as after the erasure, not an error.
    expect(answer?.status).toBe(400);

    expect(await suppressionOf(email)).toMatchObject({ reason: 'erased' });
    const recreated = await reimport(email, 'erasure-offers');
    expect((await recordsOf(runtime, email))?.subscriptions.get('erasure-offers')?.status).toBe(
      'unconfirmed',
    );
    expect((await sendMarketing(recreated, 'erasure-offers')).status).toBe(422);
  });

  it('a one-click after the erasure read the partition leaves no trace of the person', async () => {
    const email = address();
    await signUp(email, 'erasure-offers');
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const token = createTokenSigner(runtime.config.signingKeys).sign('unsubscribe', {
      contactId,
      listId: 'erasure-offers',
    });
    const oneClick = () =>
      publicApp().request(`/v1/unsubscribe?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailClient/7.1' },
        body: 'List-Unsubscribe=One-Click',
      });

    await eraseWithClickAfterFirstStep(contactId, oneClick, QueryCommand);

    const left = (await scanAllItems(runtime)).filter((item) => String(item.pk).includes(contactId));
    expect(left.filter((item) => JSON.stringify(item).includes('MailClient/7.1'))).toEqual([]);
    expect(left.filter((item) => item.entity === 'subscription')).toEqual([]);
  });
});
