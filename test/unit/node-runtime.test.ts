import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lambdaRuntime } from '../../infra/consent-mail-function.js';

const nodeMajor = (version: string) => version.replace(/^v/, '').split('.')[0];

describe('the Node.js the suite runs on', () => {
  it('is the major version Lambda runs the functions on', () => {
    expect(`nodejs${nodeMajor(process.versions.node)}.x`).toBe(lambdaRuntime.name);
  });

  it('comes from the pinned `node` devDependency, so a fresh clone needs nothing else', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const pinned: string = manifest.devDependencies.node;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(`nodejs${nodeMajor(pinned)}.x`).toBe(lambdaRuntime.name);
    expect(manifest.allowScripts.node).toBe(true);
  });
});
