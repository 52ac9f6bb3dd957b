import { setInvocationFields } from './log';
import { sourceMappedStack } from './source-mapped-stack';

/**
 * What the logs of an event-driven function say about the invocation that wrote them, as Powertools'
 * logger would put it: Lambda's request id, whether this is the instance's first invocation (a cold
 * start) and the X-Ray trace id. We add these three fields to our own logger rather than adopt
 * `@aws-lambda-powertools/logger`: measured, it adds ~21 KB to each bundle and 0.07 × the bare bundle's
 * import time to ses-events, whose import is already above its target (docs/benchmarks.md, "cold start").
 */

interface InvocationContext {
  awsRequestId?: string;
}

let firstInvocation = true;

/** `Root=1-…;Parent=…;Sampled=1` (Lambda's `_X_AMZN_TRACE_ID`) → the trace id, `1-…`. */
export function traceIdOf(header: string | undefined): string | undefined {
  return header
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith('Root='))
    ?.slice('Root='.length);
}

/**
 * Wraps a handler so that every line logged during an invocation carries the invocation's fields. Lambda
 * passes the context second whether or not the handler declares it.
 */
export function withInvocationFields<Args extends [unknown, (InvocationContext | undefined)?], R>(
  handler: (...args: Args) => Promise<R>,
): (...args: Args) => Promise<R> {
  return async function handleInvocation(...args) {
    const context = args[1];
    const traceId = traceIdOf(process.env._X_AMZN_TRACE_ID);
    setInvocationFields({
      ...(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId }),
      coldStart: firstInvocation,
      ...(traceId === undefined ? {} : { traceId }),
    });
    firstInvocation = false;
    try {
      return await handler(...args);
    } catch (error) {
      // Lambda logs what the handler throws: with the positions of our sources (log.ts does the same).
      if (error instanceof Error && error.stack !== undefined) error.stack = sourceMappedStack(error.stack);
      throw error;
    } finally {
      setInvocationFields({});
    }
  };
}

/**
 * `load` run on the first call, every later call given the same promise: how a handler keeps work that
 * not every cold start needs (a chunk of classic zod schemas) out of its import (docs/architecture.md,
 * "Cold start"). A load that fails is forgotten, so the next call tries again: a failed import or an
 * unreachable dependency must not break that code for the rest of the instance's life.
 */
export function onFirstCall<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };
}
