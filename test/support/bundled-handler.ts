import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { functionEntries } from '../../infra/bundle-sizes';
import { bundleFunction } from '../../infra/function-bundle';

/**
 * A function as Lambda runs it: its `handler.ts` bundled with the esbuild options the CDK app uses
 * (infra/function-bundle.ts `bundleFunction`: an entry and chunks), then imported with `env` as the function's environment,
 * which its module reads at import (cold start). Bundle once per test file; esbuild takes about a second.
 */
export async function bundledHandler<Handler>(
  name: keyof typeof functionEntries,
  env: Record<string, string | undefined>,
): Promise<Handler> {
  return (await bundledHandlers<Handler>(name, env, 1))[0] as Handler;
}

/**
 * `count` instances of one bundle, each a fresh cold start: the bundle is copied to a directory of its
 * own per instance, so no module (zod and its extensions included) is shared between them.
 */
export async function bundledHandlers<Handler>(
  name: keyof typeof functionEntries,
  env: Record<string, string | undefined>,
  count: number,
): Promise<Handler[]> {
  const { entryFile } = bundleFunction(
    functionEntries[name],
    mkdtempSync(join(tmpdir(), `consent-mail-${name}-`)),
  );
  // Test files share their worker process (vitest's `isolate: false`), so what is set here stays for the
  // files after this one: each bundled test passes every variable its function reads, and the rest of the
  // suite builds its runtimes from explicit environments (test-runtime.ts), never from process.env. A
  // variable given as undefined is unset (assigned, process.env would hold the string "undefined").
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const handlers: Handler[] = [];
  for (let instance = 0; instance < count; instance++) {
    let entry = entryFile;
    if (instance > 0) {
      const copy = mkdtempSync(join(tmpdir(), `consent-mail-${name}-`));
      cpSync(dirname(entryFile), copy, { recursive: true });
      entry = join(copy, basename(entryFile));
    }
    const module = (await import(pathToFileURL(entry).href)) as { handler: Handler };
    handlers.push(module.handler);
  }
  return handlers;
}

/** The context Lambda passes; the handlers read none of it but the request id. */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/12/06/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
