import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nextDelivery } from '../../shared/stats/message-delivery';
import {
  bareAddress,
  parseSesEvent,
  type SesEvent,
  sesEventKey,
  sourceEventIdOf,
} from '../../shared/suppressions/ses-event-parsing';

/**
 * The fixtures in test/fixtures/ses-events are AWS's documented SES event records ("Examples of event data
 * that Amazon SES publishes to Amazon SNS", SES developer guide, awsdocs/amazon-ses-developer-guide
 * doc-source/event-publishing-retrieving-sns-examples.md: Bounce, Complaint, Delivery, Send, Reject, Open,
 * Rendering Failure and DeliveryDelay records; SES publishes the same record to every destination type)
 * wrapped in the EventBridge envelope (EventBridge user guide, "Event structure reference": version, id,
 * detail-type, source, account, time, region, resources, detail; detail-types from the EventBridge
 * reference "Amazon Simple Email Service events"). Our message tags (`messageId`, `kind`, `campaignId`,
 * `listId`) are added to `mail.tags`, as SES publishes them for a send through the configuration set.
 * `bounce-transient` is the Bounce record with a documented transient type (Transient / MailboxFull, 4.2.2).
 */

type Fixture =
  | 'bounce-permanent'
  | 'bounce-transient'
  | 'complaint'
  | 'delivery'
  | 'send'
  | 'reject'
  | 'rendering-failure'
  | 'delivery-delay'
  | 'open';

const raw = (name: Fixture) =>
  JSON.parse(readFileSync(new URL(`../fixtures/ses-events/${name}.json`, import.meta.url), 'utf8')) as {
    id: string;
    detail: Record<string, unknown> & { mail: Record<string, unknown> };
  } & Record<string, unknown>;

function parsed(input: unknown): SesEvent {
  const result = parseSesEvent(input);
  if (!result.ok) throw new Error(`expected the event to parse: ${result.issues.join(', ')}`);
  return result.event;
}

const SES_MESSAGE_ID = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';
const ourTags = {
  messageId: '0mc1x2y3z000EXAMPLEab',
  kind: 'marketing',
  campaignId: '0mc1x0000000EXAMPLEcd',
  listId: 'weekly-news',
};

describe('parsing SES events from EventBridge', () => {
  it('reads a permanent bounce', () => {
    const event = parsed(raw('bounce-permanent'));
    expect(event).toMatchObject({
      eventBridgeId: 'b3b1a4a2-7e4f-4d0c-9a55-0c1e2a3b4c01',
      detailType: 'Email Bounced',
      kind: 'bounce',
      eventType: 'Bounce',
      mail: {
        sesMessageId: SES_MESSAGE_ID,
        sentAt: '2017-08-05T00:40:02.012Z',
        destination: ['recipient@example.com'],
        tags: { ...ourTags, 'ses:configuration-set': 'ConfigSet' },
      },
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        recipients: ['recipient@example.com'],
        feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
        at: '2017-08-05T00:41:02.669Z',
      },
    });
  });

  it('reads a transient bounce', () => {
    expect(parsed(raw('bounce-transient')).bounce).toMatchObject({
      bounceType: 'Transient',
      bounceSubType: 'MailboxFull',
    });
  });

  it('reads a complaint with its feedback type', () => {
    const event = parsed(raw('complaint'));
    expect(event.kind).toBe('complaint');
    expect(event.complaint).toEqual({
      feedbackType: 'abuse',
      complaintSubType: null,
      recipients: ['recipient@example.com'],
      feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
      at: '2017-08-05T00:41:02.669Z',
    });
  });

  it('reads deliveries, sends, rejects, delays and rendering failures', () => {
    expect(parsed(raw('delivery'))).toMatchObject({
      kind: 'delivery',
      delivery: { at: '2016-10-19T23:21:04.133Z' },
    });
    expect(parsed(raw('send')).kind).toBe('send');
    expect(parsed(raw('reject'))).toMatchObject({ kind: 'reject', reject: { reason: 'Bad content' } });
    expect(parsed(raw('delivery-delay'))).toMatchObject({
      kind: 'deliveryDelay',
      deliveryDelay: {
        at: '2020-06-16T00:25:40.095Z',
        delayType: 'TransientCommunicationFailure',
        expirationTime: '2020-06-16T00:25:40.914Z',
      },
    });
    expect(parsed(raw('rendering-failure'))).toMatchObject({
      kind: 'renderingFailure',
      eventType: 'Rendering Failure',
      renderingFailure: { templateName: 'MyTemplate' },
      mail: { tags: ourTags },
    });
  });

  it('parses event types it does not act on', () => {
    expect(parsed(raw('open')).kind).toBe('open');
    const event = raw('delivery');
    expect(
      parsed({
        ...event,
        'detail-type': 'Email Teleported',
        detail: { ...event.detail, eventType: 'Teleport' },
      }).kind,
    ).toBe('other');
  });

  it('ignores fields it does not know and does without optional ones', () => {
    const event = raw('bounce-permanent');
    const minimal = {
      id: 'minimal-1',
      'detail-type': 'Email Bounced',
      detail: {
        mail: { messageId: 'ses-1', novelty: { nested: true } },
        bounce: { bounceType: 'Permanent', futureField: 1 },
      },
      somethingNew: 'ignored',
    };
    expect(parsed(minimal)).toMatchObject({
      kind: 'bounce',
      eventType: 'Email Bounced',
      time: null,
      mail: { sesMessageId: 'ses-1', sentAt: null, destination: [], tags: {} },
      bounce: { bounceType: 'Permanent', bounceSubType: null, recipients: [], feedbackId: null },
    });
    expect(parsed({ ...event, extra: [1, 2, 3] }).kind).toBe('bounce');
  });

  it('takes the kind from the detail-type when eventType is missing', () => {
    const event = raw('complaint');
    const { eventType: _eventType, ...detail } = event.detail;
    expect(parsed({ ...event, detail }).kind).toBe('complaint');
  });

  it('treats an unknown bounce type as undetermined', () => {
    const event = raw('bounce-permanent');
    const bounce = { ...(event.detail.bounce as object), bounceType: 'Sideways' };
    expect(parsed({ ...event, detail: { ...event.detail, bounce } }).bounce?.bounceType).toBe('Undetermined');
  });

  it('falls back to the destination when a bounce lists no recipients', () => {
    const event = raw('bounce-permanent');
    const bounce = { ...(event.detail.bounce as object), bouncedRecipients: [] };
    expect(parsed({ ...event, detail: { ...event.detail, bounce } }).bounce?.recipients).toEqual([
      'recipient@example.com',
    ]);
  });

  it('refuses what it cannot apply, naming fields and never their values', () => {
    const event = raw('bounce-permanent');
    const { messageId: _messageId, ...mail } = event.detail.mail;
    const result = parseSesEvent({ ...event, detail: { ...event.detail, mail } });
    expect(result).toEqual({ ok: false, eventBridgeId: event.id, issues: ['detail.mail.messageId'] });

    const { bounce: _bounce, ...withoutBounce } = event.detail;
    expect(parseSesEvent({ ...event, detail: withoutBounce })).toEqual({
      ok: false,
      eventBridgeId: event.id,
      issues: ['detail.bounce'],
    });
    const garbage = parseSesEvent({ detail: { mail: { destination: 'recipient@example.com' } } });
    expect(garbage.ok).toBe(false);
    expect(JSON.stringify(garbage)).not.toContain('recipient@example.com');
    expect(parseSesEvent(null)).toMatchObject({ ok: false, eventBridgeId: null });
  });

  it('reduces a recipient with a display name to the address', () => {
    expect(bareAddress('"Ada" <ada@example.com>')).toBe('ada@example.com');
    expect(bareAddress(' ada@example.com ')).toBe('ada@example.com');
  });
});

describe('the identity of an SES event', () => {
  it('is the same for the same bounce under another EventBridge id, and differs between bounces', () => {
    const event = raw('bounce-permanent');
    const again = { ...event, id: 'another-eventbridge-id' };
    expect(sesEventKey(parsed(again))).toBe(sesEventKey(parsed(event)));
    const bounce = { ...(event.detail.bounce as object), feedbackId: 'another-feedback-id' };
    expect(sesEventKey(parsed({ ...event, detail: { ...event.detail, bounce } }))).not.toBe(
      sesEventKey(parsed(event)),
    );
  });

  it('tells event types and messages apart, and is safe in a key', () => {
    const keys = (['bounce-permanent', 'complaint', 'delivery', 'reject', 'delivery-delay'] as const).map(
      (name) => sesEventKey(parsed(raw(name))),
    );
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const delivery = raw('delivery');
    const otherMessage = {
      ...delivery,
      detail: { ...delivery.detail, mail: { ...delivery.detail.mail, messageId: 'x' } },
    };
    expect(sesEventKey(parsed(otherMessage))).not.toBe(sesEventKey(parsed(delivery)));
  });

  it('names the feedback id as a suppression source, else the EventBridge id', () => {
    expect(sourceEventIdOf(parsed(raw('complaint')))).toBe(
      '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
    );
    expect(sourceEventIdOf(parsed(raw('delivery')))).toBe('b3b1a4a2-7e4f-4d0c-9a55-0c1e2a3b4c04');
  });
});

describe('the delivery state an event leaves on a message', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('moves forward only, keeping each event time', () => {
    const delivered = nextDelivery(undefined, parsed(raw('delivery')), '2026-01-01T00:00:01.000Z', now);
    expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: '2026-01-01T00:00:01.000Z' });
    const late = nextDelivery(delivered, parsed(raw('delivery-delay')), '2026-01-01T00:00:00.500Z', now);
    expect(late).toMatchObject({
      status: 'delivered',
      delayedAt: '2026-01-01T00:00:00.500Z',
      delayType: 'TransientCommunicationFailure',
    });
    const complained = nextDelivery(late, parsed(raw('complaint')), '2026-01-01T00:10:00.000Z', now);
    expect(complained).toMatchObject({ status: 'complained', complaintFeedbackType: 'abuse' });
  });

  it('records the bounce type and subtype', () => {
    expect(nextDelivery(undefined, parsed(raw('bounce-transient')), now.toISOString(), now)).toMatchObject({
      status: 'bounced',
      bounceType: 'Transient',
      bounceSubType: 'MailboxFull',
    });
  });
});
