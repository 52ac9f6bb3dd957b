import { afterEach, describe, expect, it } from 'vitest';
import { traceIdOf, withInvocationFields } from '../../shared/lambda-invocation';
import { createLogger } from '../../shared/log';

/**
 * Logs of the event-driven functions carry the invocation that wrote them: Lambda's request id, whether
 * it was the instance's first invocation, and the X-Ray trace id; lines written outside an invocation
 * carry none of them.
 */

const traceHeader = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

describe('invocation fields in the logs', () => {
  const previousTrace = process.env._X_AMZN_TRACE_ID;
  afterEach(() => {
    if (previousTrace === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = previousTrace;
  });

  it('every line of an invocation has its request id, cold start and trace id; lines after it have none', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      service: 'ses-events',
      write: (line) => lines.push(JSON.parse(line)),
    });
    const child = logger.child({ messageId: 'm-1' });
    const handler = withInvocationFields(
      async (event: { n: number }, _context?: { awsRequestId: string }) => {
        child.info('applied', { n: event.n });
        return event.n;
      },
    );

    process.env._X_AMZN_TRACE_ID = traceHeader;
    expect(await handler({ n: 1 }, { awsRequestId: 'req-1' })).toBe(1);
    delete process.env._X_AMZN_TRACE_ID;
    await handler({ n: 2 }, { awsRequestId: 'req-2' });
    logger.info('between invocations');

    expect(lines).toEqual([
      expect.objectContaining({
        message: 'applied',
        messageId: 'm-1',
        requestId: 'req-1',
        coldStart: true,
        traceId: '1-5759e988-bd862e3fe1be46a994272793',
      }),
      expect.objectContaining({ message: 'applied', requestId: 'req-2', coldStart: false }),
      expect.not.objectContaining({ requestId: expect.anything() }),
    ]);
    expect(lines[1]).not.toHaveProperty('traceId');
    expect(lines[2]).not.toHaveProperty('coldStart');
  });

  it('reads the trace id from the Root part of the header, wherever it stands', () => {
    expect(traceIdOf('Sampled=0;Root=1-abc-def')).toBe('1-abc-def');
    expect(traceIdOf('Parent=1')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});
