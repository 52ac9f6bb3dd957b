import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { REQUESTS_IN_FLIGHT } from '../../shared/campaigns/recipient-batch';
import { primaryKeyOf } from '../../shared/data-model';
import { subscriptionSendingView } from '../../shared/data-model/consent-items';
import { contactSendingView } from '../../shared/data-model/contact-items';
import { type ItemView, projectionOf } from '../../shared/data-model/from-item';
import { suppressionSendingView } from '../../shared/data-model/suppression-items';
import { inParallel, inParts, MAX_BATCH_GET_KEYS } from '../../shared/table-access';
import type { Subscriber } from '../seed';
import {
  BULK_LOOPS,
  BULK_SIZE,
  type BulkTemplate,
  type FloorTable,
  floorCall,
  type RawBulkRun,
  sendInLoops,
} from './raw-bulk-send';

/**
 * For reference, the exactly-once floor plus the reads the issue keeps: before each chunk's sends, the
 * per-recipient consent re-check (docs/campaigns.md, "Exactly once per recipient", step 1) as bare
 * BatchGetItem requests shaped like the worker's (shared/campaigns/recipient-batch.ts): strongly
 * consistent, 100 keys a request, two requests in flight, in two rounds (the chunk's contacts and the list,
 * then each contact's suppression, by the address hash the first round answered, and subscription), each
 * group with the projection of the worker's sending view, and the same keys (`primaryKeyOf`) of the
 * seeded recipients. Nothing is parsed or decided: the answers are only counted. Then the floor's own
 * calls, one after another in the chunk's loop, from as many loops as the floor has.
 */

interface KeyGroup {
  keys: Record<string, unknown>[];
  view?: ItemView<unknown>;
}

export interface FloorReadsSetup {
  listId: string;
  /** Recipients per chunk, as the worker's chunks are in this bench (campaign.ts). */
  chunkSize: number;
}

export function measureFloorWithReads(
  ses: SESv2Client,
  table: FloorTable,
  template: BulkTemplate,
  subscribers: Subscriber[],
  total: number,
  setup: FloorReadsSetup,
): Promise<RawBulkRun> {
  const call = floorCall(ses, table, template, subscribers);
  const reads = { requests: 0, keys: 0 };
  const read = (groups: KeyGroup[]) => readGroups(table, groups, reads);
  const listKey = primaryKeyOf('list', { listId: setup.listId });
  return sendInLoops(BULK_LOOPS, total, setup.chunkSize, async (from, count) => {
    const chunk = Array.from({ length: count }, (_, offset) => {
      const subscriber = subscribers[(from + offset) % subscribers.length] as Subscriber;
      return subscriber.contactId;
    });
    const contacts = await read([
      { keys: chunk.map((contactId) => primaryKeyOf('contact', { contactId })), view: contactSendingView },
      { keys: [listKey] },
    ]);
    const found = contacts.filter((item) => item.entity === 'contact');
    await read([
      {
        keys: found.map((item) => primaryKeyOf('suppression', { emailHash: String(item.emailHash) })),
        view: suppressionSendingView,
      },
      {
        keys: found.map((item) =>
          primaryKeyOf('subscription', { contactId: String(item.contactId), listId: setup.listId }),
        ),
        view: subscriptionSendingView,
      },
    ]);
    let accepted = 0;
    for (let offset = 0; offset < count; offset += BULK_SIZE) {
      accepted += await call(from + offset, Math.min(BULK_SIZE, count - offset));
    }
    return accepted;
  }).then((run) => ({ ...run, reads }));
}

/** Every item of the groups' keys that exists: requests of 100 keys, one group each, two in flight. */
async function readGroups(
  table: FloorTable,
  groups: KeyGroup[],
  counts: { requests: number; keys: number },
): Promise<Record<string, unknown>[]> {
  const parts = groups.flatMap(({ keys, view }) => {
    const projection = view === undefined ? {} : projectionOf(view);
    return inParts(keys, MAX_BATCH_GET_KEYS).map((part) => ({ part, projection }));
  });
  const items: Record<string, unknown>[] = [];
  await inParallel(parts, REQUESTS_IN_FLIGHT, async ({ part, projection }) => {
    let pending = part;
    while (pending.length > 0) {
      counts.requests++;
      counts.keys += pending.length;
      const { Responses, UnprocessedKeys } = await table.documents.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: true, ...projection } },
        }),
      );
      items.push(...(Responses?.[table.tableName] ?? []));
      pending = UnprocessedKeys?.[table.tableName]?.Keys ?? [];
    }
  });
  return items;
}
