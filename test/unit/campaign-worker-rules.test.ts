import { describe, expect, it } from 'vitest';
import { pendingTaskOf } from '../../functions/campaign-worker/stream-records';
import { chunkSizeFor } from '../../shared/campaigns/send-rate';
import { publishSesDenied } from '../../shared/campaigns/ses-denied-metric';
import { classifySesFailure } from '../../shared/campaigns/ses-failures';

const named = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('classifySesFailure', () => {
  it('retries only what proves SES sent nothing', () => {
    expect(classifySesFailure(named('TooManyRequestsException', 'Maximum sending rate exceeded.'))).toBe(
      'throttled',
    );
    expect(classifySesFailure(named('ThrottlingException', 'Maximum sending rate exceeded.'))).toBe(
      'throttled',
    );
    expect(classifySesFailure(named('ThrottlingException', 'Daily message quota exceeded.'))).toBe('quota');
    expect(classifySesFailure(named('SendingPausedException'))).toBe('quota');
    expect(classifySesFailure(named('MessageRejected'))).toBe('rejected');
    // Refused before SES looked at it (IAM, credentials): proven unsent, never `unknown`.
    expect(classifySesFailure(named('AccessDeniedException'))).toBe('denied');
    expect(classifySesFailure(named('ExpiredTokenException'))).toBe('denied');
    expect(classifySesFailure(named('TimeoutError'))).toBe('unknown');
    expect(classifySesFailure(named('InternalFailure'))).toBe('unknown');
    expect(classifySesFailure('nonsense')).toBe('unknown');
    expect(classifySesFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      'reset',
    );
    expect(classifySesFailure(new Error('socket hang up'))).toBe('reset');
    // No socket in time: nothing was written. An answer that did not come in time may hide a sent email.
    const timeout = (message: string) =>
      Object.assign(new Error(`@smithy/node-http-handler - ${message}`), { name: 'TimeoutError' });
    expect(
      classifySesFailure(
        timeout(
          'the request socket did not establish a connection with the server within the configured timeout of 1000 ms.',
        ),
      ),
    ).toBe('reset');
    expect(
      classifySesFailure(timeout('[ERROR] a request has exceeded the configured 30000 ms requestTimeout.')),
    ).toBe('unknown');
  });
});

describe('pendingTaskOf (the stream filter)', () => {
  const image = (fields: Record<string, string>) =>
    Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, { S: value }]));
  const task = { entity: 'campaignTask', status: 'pending', campaignId: 'cmp1', taskId: 'send-0-0' };

  it('runs inserted or modified tasks that are pending, and nothing else', () => {
    expect(pendingTaskOf('INSERT', image(task))).toEqual({ campaignId: 'cmp1', taskId: 'send-0-0' });
    expect(pendingTaskOf('MODIFY', image(task))).toEqual({ campaignId: 'cmp1', taskId: 'send-0-0' });
    expect(pendingTaskOf('REMOVE', image(task))).toBeUndefined();
    expect(pendingTaskOf('MODIFY', image({ ...task, status: 'running' }))).toBeUndefined();
    expect(pendingTaskOf('INSERT', image({ ...task, entity: 'contact' }))).toBeUndefined();
    expect(pendingTaskOf('INSERT', undefined)).toBeUndefined();
  });
});

describe('chunkSizeFor', () => {
  it('is a twentieth of the rate, at least one, so no second sees more than 1.1 times the rate', () => {
    expect(chunkSizeFor(14)).toBe(1);
    expect(chunkSizeFor(200)).toBe(10);
    expect(chunkSizeFor(5)).toBe(1);
  });
});

describe('publishSesDenied', () => {
  it('writes one embedded-metric line CloudWatch reads as CampaignSendsDenied, counting the entries', () => {
    const lines: string[] = [];
    publishSesDenied(50, new Date('2026-12-07T10:00:00Z'), (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? '');
    expect(record).toEqual({
      _aws: {
        Timestamp: Date.parse('2026-12-07T10:00:00Z'),
        CloudWatchMetrics: [
          {
            Namespace: 'ConsentMail',
            Dimensions: [[]],
            Metrics: [{ Name: 'CampaignSendsDenied', Unit: 'Count' }],
          },
        ],
      },
      CampaignSendsDenied: 50,
    });
  });
});
