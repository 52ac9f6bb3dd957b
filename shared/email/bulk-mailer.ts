import { type SESv2Client, SendBulkEmailCommand } from '@aws-sdk/client-sesv2';
import { workGate } from '../work-gate';

/**
 * SendBulkEmail with an inline template: up to 50 destinations per call, each with its own template data,
 * headers (List-Unsubscribe) and tags (our message id). SES answers one result per entry, in the order of
 * the entries.
 */

/** SES's limit of destinations per SendBulkEmail call. */
export const MAX_BULK_DESTINATIONS = 50;

export interface BulkEmail {
  from: string;
  replyTo: string;
  template: { Subject: string; Html: string; Text: string };
  defaultData: string;
  tags: Record<string, string>;
  destinations: {
    to: string;
    data: string;
    headers: { name: string; value: string }[];
    tags: Record<string, string>;
  }[];
}

/** One entry's answer: `status` is SES's (`SUCCESS`, `ACCOUNT_THROTTLED`, `MESSAGE_REJECTED`, …). */
export interface BulkEntryResult {
  status: string;
  sesMessageId: string | null;
  error: string | null;
}

export interface BulkMailer {
  /** Results by entry; an entry SES gave no result for is `undefined` (it may or may not have left). */
  sendBulk(email: BulkEmail): Promise<(BulkEntryResult | undefined)[]>;
}

/**
 * SendBulkEmail calls one process has in flight at once, and the sockets its SES client may open
 * (createCampaignSesClient). Beyond the sockets, the HTTP agent queues a call, and the queued call's
 * 1 s connection timeout runs while it waits: under load it fires, the call is retried as "never
 * connected", and every worker's send slot is pushed back as if SES had throttled. Waiting here instead
 * costs the call nothing but its place in the queue.
 */
export const BULK_CALLS_IN_FLIGHT = 48;

const tagList = (tags: Record<string, string>) =>
  Object.entries(tags).map(([Name, Value]) => ({ Name, Value }));

export function createSesBulkMailer(
  ses: SESv2Client,
  options: { configurationSet: string | undefined },
): BulkMailer {
  const gate = workGate(BULK_CALLS_IN_FLIGHT);
  return {
    async sendBulk(email) {
      if (email.destinations.length > MAX_BULK_DESTINATIONS) {
        throw new RangeError(`SendBulkEmail takes at most ${MAX_BULK_DESTINATIONS} destinations`);
      }
      const { BulkEmailEntryResults } = await gate.hold(1, () =>
        ses.send(
          new SendBulkEmailCommand({
            FromEmailAddress: email.from,
            ReplyToAddresses: [email.replyTo],
            ConfigurationSetName: options.configurationSet,
            DefaultEmailTags: tagList(email.tags),
            DefaultContent: {
              Template: { TemplateContent: email.template, TemplateData: email.defaultData },
            },
            BulkEmailEntries: email.destinations.map((destination) => ({
              Destination: { ToAddresses: [destination.to] },
              ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: destination.data } },
              ReplacementHeaders: destination.headers.map(({ name, value }) => ({
                Name: name,
                Value: value,
              })),
              ReplacementTags: tagList(destination.tags),
            })),
          }),
        ),
      );
      return email.destinations.map((_, index) => {
        const result = BulkEmailEntryResults?.[index];
        if (result?.Status === undefined) return undefined;
        return { status: result.Status, sesMessageId: result.MessageId ?? null, error: result.Error ?? null };
      });
    },
  };
}
