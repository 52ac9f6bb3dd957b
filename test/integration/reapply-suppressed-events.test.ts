import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { recordSuppression } from '../../shared/consent/suppression-events';
import { hashEmail } from '../../shared/email-address';
import { reapplyOptOuts } from '../../shared/restore/reapply-opt-outs';
import type { Runtime } from '../../shared/runtime';
import { putFeedbackSuppression } from '../../shared/suppressions/ses-feedback';
import { accessOf, givenList, scanAllItems } from '../support/consent-fixtures';
import { restoredCopyOf } from '../support/restored-table';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

const LIST = 'bounce-news';

/** A hard bounce with its ledger event, as the ses-events function writes them. */
async function givenBounce(
  live: Runtime,
  to: { contactId: string; email: string },
  messageId: string,
  at: Date,
) {
  const access = accessOf(live);
  const items = [
    putFeedbackSuppression(access, {
      emailHash: hashEmail(live.config.emailHashSecret, to.email),
      reason: 'hard-bounce',
      createdAt: at.toISOString(),
      sourceEventId: `ses-${messageId}`,
      contactId: to.contactId,
      messageId,
    }),
  ];
  recordSuppression(
    access,
    items,
    { contactId: to.contactId, reason: 'hard-bounce', evidence: { messageId } },
    at,
  );
  await live.clients.documents.send(new TransactWriteCommand({ TransactItems: items }));
}

describe('re-applying suppressions after a restore', () => {
  it('gives each contact its own ledger event when two bounces share a millisecond', async () => {
    const live = await createTestRuntime();
    await givenList(live, { listId: LIST, doubleOptIn: true });
    const [first, second] = await givenConfirmedSubscribers(live, LIST, 2, { label: 'same-ms' });
    if (first === undefined || second === undefined) throw new Error('no subscribers');
    const restored = await restoredCopyOf(live);
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const at = new Date();
    await givenBounce(live, first, 'msg-first', at);
    await givenBounce(live, second, 'msg-second', at);

    const deps = { source: accessOf(live), target: accessOf(restored), logger: live.logger };
    expect((await reapplyOptOuts(deps, since)).suppression.reapplied).toBe(2);

    const suppressedOf = async (contactId: string) =>
      (await scanAllItems(restored))
        .filter((item) => item.contactId === contactId && item.kind === 'suppressed')
        .map((item) => (item.evidence as { messageId?: string }).messageId);
    expect(await suppressedOf(first.contactId)).toEqual(['msg-first']);
    expect(await suppressedOf(second.contactId)).toEqual(['msg-second']);
  });
});
