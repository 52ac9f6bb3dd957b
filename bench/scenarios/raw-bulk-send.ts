import { randomUUID } from 'node:crypto';
import {
  type BulkEmailEntry,
  type SESv2Client,
  SendBulkEmailCommand,
  SendEmailCommand,
} from '@aws-sdk/client-sesv2';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Subscriber } from '../seed';

/**
 * The baselines for sending: how fast the SES emulator accepts mail when nothing else happens, as
 * `SendBulkEmail` calls of 50 entries (SES's maximum) with per-entry template data and headers (the target's
 * baseline), and as one `SendEmail` per email with the same headers (the floor of any sender that makes one
 * call per recipient, as the campaign worker does).
 */

export const BULK_SIZE = 50;
export const BULK_LOOPS = 4;
/** As many loops as the campaign runner has send tasks in flight. */
export const SINGLE_LOOPS = 16;

/** An inline SES template: `{{name}}` and `{{unsubscribeUrl}}` come from each entry's template data. */
export interface BulkTemplate {
  Subject: string;
  Html: string;
  Text: string;
}

export function bulkEntry(subscriber: Subscriber, index: number): BulkEmailEntry {
  const unsubscribeUrl = `http://localhost:3000/u/bench-token-${index}`;
  return {
    Destination: { ToAddresses: [subscriber.email] },
    ReplacementEmailContent: {
      ReplacementTemplate: {
        ReplacementTemplateData: JSON.stringify({
          name: subscriber.name?.split(' ')[0] ?? 'there',
          unsubscribeUrl,
        }),
      },
    },
    ReplacementHeaders: [
      { Name: 'List-Unsubscribe', Value: `<${unsubscribeUrl}>, <mailto:unsubscribe@example.com>` },
      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
    ],
  };
}

export async function sendBulk(ses: SESv2Client, template: BulkTemplate, entries: BulkEmailEntry[]) {
  const { BulkEmailEntryResults } = await ses.send(
    new SendBulkEmailCommand({
      FromEmailAddress: '"Example Co" <news@example.com>',
      ReplyToAddresses: ['support@example.com'],
      DefaultContent: { Template: { TemplateContent: template, TemplateData: '{}' } },
      BulkEmailEntries: entries,
    }),
  );
  return (BulkEmailEntryResults ?? []).filter((result) => result.Status === 'SUCCESS').length;
}

export interface RawBulkRun {
  emails: number;
  failed: number;
  seconds: number;
  emailsPerSecond: number;
  /** CPU seconds this process spent on the run (user + system). */
  cpuSeconds: number;
  /** The reference with the consent reads only: its BatchGetItem requests and the keys they named. */
  reads?: { requests: number; keys: number };
}

/**
 * `total` emails in calls of `perCall`, from `loops` loops side by side; `send` sends the emails
 * [from, from + count) and says how many were accepted.
 */
export async function sendInLoops(
  loops: number,
  total: number,
  perCall: number,
  send: (from: number, count: number) => Promise<number>,
): Promise<RawBulkRun> {
  let next = 0;
  let emails = 0;
  let failed = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (next < total) {
        const from = next;
        const count = Math.min(perCall, total - from);
        next += count;
        const accepted = await send(from, count);
        emails += accepted;
        failed += count - accepted;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    emails,
    failed,
    seconds,
    emailsPerSecond: emails / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

const entryFor = (subscribers: Subscriber[], index: number) =>
  bulkEntry(subscribers[index % subscribers.length] as Subscriber, index);

/** `total` emails as SendBulkEmail calls of 50, from `BULK_LOOPS` loops side by side. */
export function measureRawBulk(
  ses: SESv2Client,
  template: BulkTemplate,
  subscribers: Subscriber[],
  total: number,
): Promise<RawBulkRun> {
  return sendInLoops(BULK_LOOPS, total, BULK_SIZE, (from, count) =>
    sendBulk(
      ses,
      template,
      Array.from({ length: count }, (_, offset) => entryFor(subscribers, from + offset)),
    ),
  );
}

/** `total` emails as one `SendEmail` each (the template filled in here), from `SINGLE_LOOPS` loops. */
export function measureRawSingle(
  ses: SESv2Client,
  template: BulkTemplate,
  subscribers: Subscriber[],
  total: number,
): Promise<RawBulkRun> {
  return sendInLoops(SINGLE_LOOPS, total, 1, async (index) => {
    const entry = entryFor(subscribers, index);
    const data = JSON.parse(
      entry.ReplacementEmailContent?.ReplacementTemplate?.ReplacementTemplateData ?? '{}',
    );
    const fill = (text: string) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(data[name] ?? ''));
    try {
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: '"Example Co" <news@example.com>',
          ReplyToAddresses: ['support@example.com'],
          Destination: entry.Destination,
          Content: {
            Simple: {
              Subject: { Data: fill(template.Subject) },
              Body: { Html: { Data: fill(template.Html) }, Text: { Data: fill(template.Text) } },
              Headers: entry.ReplacementHeaders,
            },
          },
        }),
      );
      return 1;
    } catch {
      return 0;
    }
  });
}

/** The floor's table: where it writes its items (and the reference with reads reads the recipients'). */
export interface FloorTable {
  documents: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * The exactly-once floor: what any sender that records each email durably must do at the least, SendBulkEmail
 * calls of 50 and, after each, one batched write of one 1 KB item per email (BatchWriteItem, 25 a request)
 * into the same DynamoDB Local, from `BULK_LOOPS` loops side by side. The campaign scenario runs it with
 * a stream reader on the table (baseline-process.ts `floorWithStreamReader`), as the campaign runs with
 * its worker's.
 */
export function measureExactlyOnceFloor(
  ses: SESv2Client,
  table: FloorTable,
  template: BulkTemplate,
  subscribers: Subscriber[],
  total: number,
): Promise<RawBulkRun> {
  return sendInLoops(BULK_LOOPS, total, BULK_SIZE, floorCall(ses, table, template, subscribers));
}

/**
 * One call of the floor: the emails [from, from + count) (at most 50) in one SendBulkEmail, then one 1 KB
 * item per email in BatchWriteItem requests of 25, side by side; says how many SES accepted.
 */
export function floorCall(
  ses: SESv2Client,
  table: FloorTable,
  template: BulkTemplate,
  subscribers: Subscriber[],
): (from: number, count: number) => Promise<number> {
  const padding = 'x'.repeat(900);
  // New items every run, as a campaign's records are: rewriting an identical item is no write to a stream.
  const run = randomUUID().slice(0, 8);
  return async (from, count) => {
    const accepted = await sendBulk(
      ses,
      template,
      Array.from({ length: count }, (_, offset) => entryFor(subscribers, from + offset)),
    );
    const items = Array.from({ length: count }, (_, offset) => ({
      PutRequest: { Item: { pk: `FLOOR#${run}#${from + offset}`, sk: 'FLOOR', status: 'sent', padding } },
    }));
    await Promise.all(
      [items.slice(0, 25), items.slice(25)]
        .filter((part) => part.length > 0)
        .map(async (part) => {
          let pending = part;
          while (pending.length > 0) {
            const { UnprocessedItems } = await table.documents.send(
              new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }),
            );
            pending = (UnprocessedItems?.[table.tableName] ?? []) as typeof part;
          }
        }),
    );
    return accepted;
  };
}
