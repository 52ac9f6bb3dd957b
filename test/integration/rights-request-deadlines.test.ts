import { beforeAll, describe, expect, it } from 'vitest';
import {
  isRightsDeadlinesJob,
  publishRightsRequestDeadlines,
  RIGHTS_DEADLINES_JOB,
} from '../../shared/rights/rights-request-deadlines';
import { changeRightsRequest, createRightsRequest } from '../../shared/rights/rights-requests';
import type { Runtime } from '../../shared/runtime';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

const DAY = 86_400_000;

/**
 * The daily watch over the register (docs/rights.md, "Deadlines on AWS"): the open requests overdue and due
 * within 7 days, published as one embedded-metric-format line that CloudWatch turns into the metrics the
 * overdue alarm reads (test/infra/campaign-worker.test.ts checks the rule and the alarm).
 */
describe('rights-request deadline metrics', () => {
  let runtime: Runtime;
  const now = new Date();
  const receivedDaysAgo = (days: number) => new Date(now.getTime() - days * DAY).toISOString();

  async function givenRequest(periodDays: number, daysAgo: number, close?: 'deny' | 'complete') {
    const request = await createRightsRequest(
      accessOf(runtime),
      {
        kind: 'access',
        channel: 'email',
        jurisdiction: 'other',
        periodDays,
        receivedAt: receivedDaysAgo(daysAgo),
        requester: { type: 'person' },
        contactId: null,
        ...(close === 'complete'
          ? { verification: { method: 'matching-information' as const, at: receivedDaysAgo(daysAgo) } }
          : {}),
        createdBy: 'apiKey:test',
      },
      now,
    );
    if (close === 'deny') {
      await changeRightsRequest(accessOf(runtime), request.rightsRequestId, {
        action: 'deny',
        reason: 'No.',
      });
    }
    if (close === 'complete') {
      await changeRightsRequest(accessOf(runtime), request.rightsRequestId, { action: 'complete' });
    }
  }

  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenRequest(3, 5); // overdue by 2 days
    await givenRequest(1, 40); // overdue by 39 days
    await givenRequest(10, 5); // due in 5 days
    await givenRequest(30, 0); // due in 30 days: neither
    await givenRequest(3, 5, 'deny'); // closed: neither
    await givenRequest(3, 5, 'complete'); // closed: neither
  });

  it('counts only open requests: overdue ones, and those due within 7 days', async () => {
    const lines: string[] = [];
    const counts = await publishRightsRequestDeadlines(accessOf(runtime), now, (line) => lines.push(line));
    expect(counts).toEqual({ overdue: 2, dueWithin7Days: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      message: 'rights request deadlines',
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: 'ConsentMail',
            Dimensions: [[]],
            Metrics: [
              { Name: 'RightsRequestsDueWithin7Days', Unit: 'Count' },
              { Name: 'RightsRequestsOverdue', Unit: 'Count' },
            ],
          },
        ],
      },
      RightsRequestsDueWithin7Days: 1,
      RightsRequestsOverdue: 2,
    });
  });

  it('a week later the request then due is overdue too', async () => {
    const later = new Date(now.getTime() + 7 * DAY);
    const counts = await publishRightsRequestDeadlines(accessOf(runtime), later, () => {});
    expect(counts).toEqual({ overdue: 3, dueWithin7Days: 0 });
  });

  it('the worker tells the daily job’s event from a scheduled sweep and from stream records', () => {
    expect(isRightsDeadlinesJob(RIGHTS_DEADLINES_JOB)).toBe(true);
    expect(isRightsDeadlinesJob({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toBe(
      false,
    );
    expect(isRightsDeadlinesJob({ Records: [] })).toBe(false);
  });
});
