import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scaleModelOf } from '../../bench/scenarios/scale-model';

const docs = (name: string) => new URL(`../../docs/${name}`, import.meta.url).pathname;

describe('docs/scale.md', () => {
  it('is what the scale model writes from docs/benchmarks.json, never edited by hand', () => {
    expect(readFileSync(docs('scale.md'), 'utf8')).toBe(scaleModelOf(docs('benchmarks.json')));
  });
});
