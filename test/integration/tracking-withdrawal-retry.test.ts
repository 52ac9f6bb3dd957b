import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import type { TableAccess } from '../../shared/table-access';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Withdrawing tracking consent is two steps: the contact's choice and its ledger event (one transaction),
 * then every tracked message already sent loses `openable` (docs/tracking.md). A function that dies
 * between them (a timeout, a throttled query) leaves the person with an error page; when they click
 * again, the withdrawal must finish, not answer "nothing changed" while their mail keeps recording opens.
 */
describe('a tracking withdrawal interrupted after its first step', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'retry-news', trackingMode: 'per-person', doubleOptIn: false });
  });
  afterAll(async () => streamReader.stop());

  const CHROME =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

  async function givenTrackedMessage() {
    const email = `retry-${randomUUID()}@example.org`;
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['retry-news'], trackingConsent: true }),
    });
    await untilRequestsProcessed(runtime);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const deps = { ...sendDependenciesOf(runtime), now: () => new Date(Date.now() - 60_000) };
    const sent = await sendMessage(deps, {
      recipient: { contactId },
      draft: { kind: 'marketing', listId: 'retry-news', subject: 'News', html: '<p>Hello</p>' },
    });
    expect(sent.message.tracked).toBe(true);
    const html = (await sentMailTo(email)).at(-1)?.body.html ?? '';
    const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1] ?? '';
    return { email, contactId, messageId: sent.message.messageId, pixel };
  }

  /** The table, except that the first query (the sweep of sent mail) fails as a timed-out call would. */
  function dyingAfterTheFirstStep(): TableAccess {
    const access = accessOf(runtime);
    let failed = false;
    const documents = new Proxy(access.documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return (command: unknown) => {
          if (!failed && command instanceof QueryCommand) {
            failed = true;
            return Promise.reject(new Error('simulated timeout'));
          }
          return target.send(command as never);
        };
      },
    });
    return { ...access, documents };
  }

  it('is finished by the person clicking again: their sent mail records no open', async () => {
    const { email, contactId, messageId, pixel } = await givenTrackedMessage();
    const contact = (await findContact(accessOf(runtime), contactId)) as Contact;
    await expect(
      setTrackingConsent(
        { access: dyingAfterTheFirstStep() },
        { contact, granted: false, evidence: { source: 'preference-page' } },
      ),
    ).rejects.toThrow('simulated timeout');

    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    const again = await publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'tracking-off', locale: 'en' }).toString(),
    });
    expect(again.status).toBe(200);

    expect((await publicAppFor(runtime).request(pixel, { headers: { 'user-agent': CHROME } })).status).toBe(
      200,
    );
    const message = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId }),
        ConsistentRead: true,
      }),
    );
    expect(message.Item).toMatchObject({ trackingConsent: false });
    expect(message.Item?.openCount).toBeUndefined();
    // The withdrawal is on the ledger once: the second click finished it, it did not record it again.
    const revoked = (await recordsOf(runtime, email))?.events.filter(
      ({ kind }) => kind === 'tracking-revoked',
    );
    expect(revoked).toHaveLength(1);
  });
});
