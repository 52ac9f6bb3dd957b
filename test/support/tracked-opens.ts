import { randomUUID } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { streamWorkOf } from '../../functions/campaign-worker/stream-records';
import { openTableStream } from '../../functions/local/table-stream';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from './apps';
import { POLL_DEADLINE_MS } from './poll-deadline';

/** Tracked campaign messages, their pixel loaded as a browser loads it, and the stream records it leaves. */

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

export type MessageIds = { contactId: string; messageId: string };

/** A tracked message of a campaign, sent an hour ago to someone who allowed tracking. */
export async function givenTrackedMessage(
  runtime: Runtime,
  extra: Record<string, unknown> = {},
): Promise<MessageIds & { campaignId: string }> {
  const ids = { contactId: `contact-${randomUUID()}`, messageId: `message-${randomUUID()}` };
  const campaignId = `campaign-${randomUUID().slice(0, 8)}`;
  await runtime.clients.documents.send(
    new PutCommand({
      TableName: runtime.config.tableName,
      Item: {
        ...primaryKeyOf('message', ids),
        entity: 'message',
        ...ids,
        campaignId,
        tracked: true,
        trackingMode: 'per-person',
        trackingConsent: true,
        openable: 'per-person',
        sentAt: new Date(Date.now() - 3600_000).toISOString(),
        ...extra,
      },
    }),
  );
  return { ...ids, campaignId };
}

/** Loads the message's pixel as a browser does, `times` times one after another. */
export async function opened(runtime: Runtime, ids: MessageIds, times: number): Promise<void> {
  const token = createTokenSigner(runtime.config.signingKeys).sign('trackOpen', {
    contactId: ids.contactId,
    messageId: ids.messageId,
  });
  for (let load = 0; load < times; load++) {
    const response = await publicAppFor(runtime).request(
      `/v1/pixel?token=${token}`,
      { headers: { 'user-agent': CHROME } },
      { incoming: { socket: { remoteAddress: '203.0.113.7' } } },
    );
    if (response.status !== 200) throw new Error(`the pixel answered ${response.status}`);
  }
}

/**
 * The open records of `ids`' message as the table's stream delivers them (the local reader's own
 * reading), in stream order, while `act` records opens: nothing counts them until the test does.
 */
export async function openStreamRecords(
  runtime: Runtime,
  ids: MessageIds,
  expected: number,
  act: () => Promise<void>,
): Promise<_Record[]> {
  const stream = await openTableStream(runtime);
  const records: _Record[] = [];
  stream.start((batch) => records.push(...batch));
  const opens = () =>
    records.filter((record) => {
      const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      return work?.kind === 'message-open' && work.open.messageId === ids.messageId;
    });
  try {
    await act();
    const until = Date.now() + POLL_DEADLINE_MS;
    while (opens().length < expected) {
      if (Date.now() > until) throw new Error(`${opens().length} of ${expected} open records arrived`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await stream.stop();
  }
  return opens();
}
