import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionBundleOptions, repositoryRoot } from '../../infra/function-bundle';
import { sourceMappedStack } from '../../shared/source-mapped-stack';

/**
 * The functions run without --enable-source-maps (it parses every module's map during the cold start):
 * a stack is mapped to our sources when it is logged, or when an error leaves an event handler. Checked
 * in a plain `node` process, as Lambda runs a bundle: vitest maps every stack itself.
 */

const shared = (module: string) => JSON.stringify(join(repositoryRoot, 'shared', module));
const SOURCE = [
  `import { withInvocationFields } from ${shared('lambda-invocation')};`,
  `import { createLogger } from ${shared('log')};`,
  'function refuse(reason: string): never {',
  "  throw new Error('refused: ' + reason);",
  '}',
  "const logger = createLogger({ level: 'error', service: 'test' });",
  "try { refuse('logged'); } catch (error) { logger.error('failed', { error }); }",
  'const handler = withInvocationFields(async (reason: string) => refuse(reason));',
  "await handler('thrown').catch((error: Error) => console.log(JSON.stringify({ thrown: error.stack })));",
  '',
].join('\n');

let logged: { error: { stack: string } };
let thrown: string;

beforeAll(() => {
  const directory = mkdtempSync(join(tmpdir(), 'consent-mail-stack-'));
  writeFileSync(join(directory, 'refusal.ts'), SOURCE);
  // Bundled, minified and split as a function is, each map beside its output file.
  buildSync(functionBundleOptions(join(directory, 'refusal.ts'), join(directory, 'out')));
  const output = execFileSync(process.execPath, [join(directory, 'out', 'index.mjs')], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  const [first = '{}', second = '{}'] = output.trim().split('\n');
  logged = JSON.parse(first);
  thrown = JSON.parse(second).thrown;
});

describe('stacks of bundled code', () => {
  it('logs an error thrown in a bundle with the line and column of its source', () => {
    expect(logged.error.stack).toMatch(/^Error: refused: logged\n/);
    expect(logged.error.stack).toContain('refusal.ts:4:9');
    expect(logged.error.stack).not.toMatch(/index\.mjs:/);
  });

  it('maps the stack of an error that leaves an event handler, which Lambda logs', () => {
    expect(thrown).toMatch(/^Error: refused: thrown\n/);
    expect(thrown).toContain('refusal.ts:4:9');
  });

  it('leaves positions in files without a source map as they are', () => {
    const stack = 'Error: x\n    at f (file:///nowhere/index.mjs:1:20)\n    at g (node:internal/x:3:4)';
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});
