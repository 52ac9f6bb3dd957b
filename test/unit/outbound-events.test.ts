import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { eventBridgePublisher } from '../../shared/events/event-publisher';
import { eventBridgePutEvents } from '../../shared/events/eventbridge-put-events';
import { outboundEventsOf } from '../../shared/events/events-of-records';
import { afterFailure, RETRY_WINDOW_MS } from '../../shared/webhooks/delivery-schedule';
import { isPublicAddress } from '../../shared/webhooks/webhook-targets';

const image = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });

describe('which addresses a webhook may reach', () => {
  it('public unicast only, IPv4-mapped and NAT64 forms judged by the address they embed', () => {
    for (const address of [
      '93.184.215.14',
      '8.8.8.8',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fd12::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a00:1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});

describe('webhook retries', () => {
  const created = new Date('2026-12-06T00:00:00.000Z');
  it('back off exponentially from a minute, at most six hours apart, for a day, then dead-letter', () => {
    let now = created;
    const waits: number[] = [];
    for (let attempts = 1; attempts < 50; attempts++) {
      const next = afterFailure(created, attempts, now);
      if (next.dead) break;
      waits.push((next.nextAttemptAt.getTime() - now.getTime()) / 60_000);
      now = next.nextAttemptAt;
    }
    expect(waits.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(Math.max(...waits)).toBeLessThanOrEqual(360);
    expect(now.getTime() - created.getTime()).toBe(RETRY_WINDOW_MS);
    expect(afterFailure(created, 99, now)).toEqual({ dead: true });
  });
});

describe('events from stream records', () => {
  const ledger = {
    entity: 'consentEvent',
    eventId: 'evt1',
    contactId: 'c1',
    listId: 'weekly-news',
    kind: 'unsubscribed',
    method: 'one-click',
    legalBasis: 'consent',
    occurredAt: '2026-12-06T09:00:00.000Z',
    evidence: { ip: '203.0.113.9', userAgent: 'Mail', messageId: 'm1', campaignId: 'k1' },
  };

  it('reads a ledger event whose empty evidence map the local stream reader delivers as {}', () => {
    // What DynamoDB Local's stream, through the DynamoDB Streams client, gives for `evidence: { M: {} }`.
    const delivered = { ...image({ ...ledger, evidence: {} }), evidence: {} };
    const [read] = outboundEventsOf('INSERT', delivered, undefined);
    expect(read).toMatchObject({ ok: true, event: { id: 'evt1', type: 'subscription.unsubscribed' } });
  });

  it('an appended ledger event: its id, type and opaque ids, never the evidence’s IP or user agent', () => {
    const [read] = outboundEventsOf('INSERT', image(ledger), undefined);
    expect(read).toEqual({
      ok: true,
      event: {
        id: 'evt1',
        type: 'subscription.unsubscribed',
        version: 1,
        occurredAt: '2026-12-06T09:00:00.000Z',
        data: {
          contactId: 'c1',
          listId: 'weekly-news',
          method: 'one-click',
          legalBasis: 'consent',
          messageId: 'm1',
          campaignId: 'k1',
        },
      },
    });
    expect(JSON.stringify(read)).not.toContain('203.0.113.9');
    // Erasure's anonymising rewrite of the same item is no new event.
    expect(outboundEventsOf('MODIFY', image(ledger), image(ledger))).toEqual([]);
  });

  it('a feedback suppression once per reason; other suppressions, and carried ones, are no event', () => {
    const suppression = {
      entity: 'suppression',
      emailHash: 'h1',
      reason: 'complaint',
      scope: 'marketing-and-announcements',
      createdAt: '2026-12-06T09:00:00.000Z',
      contactId: 'c1',
      messageId: 'm1',
    };
    const [first] = outboundEventsOf('INSERT', image(suppression), undefined);
    expect(first).toMatchObject({
      ok: true,
      event: { type: 'contact.suppressed', data: { reason: 'complaint' } },
    });
    expect(JSON.stringify(first)).not.toContain('h1"');
    const [again] = outboundEventsOf('INSERT', image(suppression), undefined);
    expect(again).toEqual(first);
    expect(outboundEventsOf('MODIFY', image(suppression), image(suppression))).toEqual([]);
    expect(outboundEventsOf('INSERT', image({ ...suppression, reason: 'erased' }), undefined)).toEqual([]);
    const { contactId: _c, messageId: _m, ...carried } = suppression;
    expect(outboundEventsOf('INSERT', image(carried), undefined)).toEqual([]);
  });

  it("a feedback reason that stood beneath the operator's block is no new event when the block is lifted", () => {
    const bounce = {
      reason: 'hard-bounce',
      createdAt: '2026-12-06T09:00:00.000Z',
      contactId: 'c1',
      messageId: 'm1',
    };
    const blocked = {
      entity: 'suppression',
      emailHash: 'h1',
      reason: 'admin',
      scope: 'all',
      createdAt: '2026-12-06T10:00:00.000Z',
      underlying: [bounce],
    };
    const lifted = { entity: 'suppression', emailHash: 'h1', scope: 'all', ...bounce };
    expect(outboundEventsOf('MODIFY', image(lifted), image(blocked))).toEqual([]);
    // A reason new to the address is one, beneath or not before.
    const [added] = outboundEventsOf('MODIFY', image({ ...lifted, reason: 'complaint' }), image(blocked));
    expect(added).toMatchObject({ ok: true, event: { type: 'contact.suppressed' } });
  });

  it('a rights request when it reaches completed, not on later changes', () => {
    const request = {
      entity: 'rightsRequest',
      rightsRequestId: 'r1',
      kind: 'erasure',
      status: 'completed',
      contactId: 'c1',
      receivedAt: '2026-12-01T00:00:00.000Z',
      dueAt: '2027-01-01T00:00:00.000Z',
      outcome: { at: '2026-12-06T09:00:00.000Z', reason: null, evidence: { erasureReceiptId: 'e1' } },
    };
    const verified = { ...request, status: 'verified', outcome: null };
    expect(outboundEventsOf('MODIFY', image(request), image(verified))).toMatchObject([
      { ok: true, event: { id: 'r1.completed', type: 'rights-request.completed' } },
    ]);
    expect(outboundEventsOf('MODIFY', image(request), image(request))).toEqual([]);
    expect(outboundEventsOf('MODIFY', image(verified), image(request))).toEqual([]);
  });
});

describe('EventBridge PutEvents', () => {
  it('is a SigV4-signed AWS JSON 1.1 call to the events service (the SDK client), 10 entries per call', async () => {
    const calls: { headers: Record<string, unknown>; body: { Entries: Record<string, unknown>[] } }[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        calls.push({ headers: request.headers, body: JSON.parse(body) });
        response
          .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
          .end('{"FailedEntryCount":0}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const putEvents = eventBridgePutEvents({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}/`,
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    });
    const events = Array.from({ length: 12 }, (_, index) => ({
      id: `evt${index}`,
      type: 'contact.erased' as const,
      version: 1 as const,
      occurredAt: '2026-12-06T09:00:00.000Z',
      data: { contactId: 'c1' },
    }));
    await eventBridgePublisher('consent-mail-bus', putEvents).publish(events);
    server.close();
    expect(calls.map((call) => call.body.Entries.length)).toEqual([10, 2]);
    expect(calls[0]?.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(calls[0]?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(String(calls[0]?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/events\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/,
    );
    expect(calls[0]?.body.Entries[0]).toEqual({
      EventBusName: 'consent-mail-bus',
      Source: 'consent-mail',
      DetailType: 'contact.erased',
      Detail: JSON.stringify(events[0]),
      Time: Date.parse('2026-12-06T09:00:00.000Z') / 1000,
    });
  });
});
