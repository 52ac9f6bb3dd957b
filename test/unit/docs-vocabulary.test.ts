import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorKinds } from '../../shared/errors';
import { refusalCodes } from '../../shared/sending/message-types';
import { tokenPurposes } from '../../shared/tokens';

/**
 * What docs/ spells out of the code (token purposes, error kinds, refusal codes, error codes, the files it
 * cites) is held to the code, as readme-configuration.test.ts holds the README to the configuration and
 * data-model-doc.test.ts holds docs/data-model.md to the keys.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');

/** The text from `start` to `end` (both must be there), whitespace folded so line breaks do not matter. */
function between(text: string, start: string, end: string): string {
  const folded = text.replace(/\s+/g, ' ');
  const from = folded.indexOf(start);
  const to = folded.indexOf(end, from + start.length);
  if (from < 0 || to < 0) throw new Error(`The docs no longer have "${start} … ${end}"`);
  return folded.slice(from + start.length, to);
}

/** A `## ` section of a markdown text, up to the next one. */
function section(text: string, heading: string): string {
  const from = text.indexOf(`${heading}\n`);
  if (from < 0) throw new Error(`The docs no longer have "${heading}"`);
  const to = text.indexOf('\n## ', from + heading.length);
  return text.slice(from, to < 0 ? undefined : to);
}

/** README.md and every page of docs/. */
function docFiles(): string[] {
  const pages = readdirSync(new URL('docs', root)).filter((name) => name.endsWith('.md'));
  return ['README.md', ...pages.map((name) => `docs/${name}`)];
}

/** Every source file of the code that runs (not the tests). */
function sourceFiles(directory: string): string[] {
  return readdirSync(new URL(directory, root), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(directory, name));
}

/** A path in the repository (not `../shared/…`, the handbook beside it). */
const REPOSITORY_PATH = /(?<![\w./-])((?:shared|functions|infra|test|bench|docs)\/[\w./-]+\.(?:ts|md|json))/g;

describe('the docs speak the code’s vocabulary', () => {
  it('architecture.md lists exactly the token purposes tokens.ts defines', () => {
    const listed = backticked(between(read('docs/architecture.md'), 'each purpose (', ') has a strict'));
    expect([...listed].sort()).toEqual(Object.keys(tokenPurposes).sort());
  });

  it('architecture.md lists exactly the error kinds errors.ts defines', () => {
    const listed = backticked(
      between(read('docs/architecture.md'), 'with a domain `kind` (', ') and a stable'),
    );
    expect([...listed].sort()).toEqual([...errorKinds].sort());
  });

  it('sending.md documents every refusal code, and names no refusal code the policy does not have', () => {
    const policy = section(read('docs/sending.md'), '## The compliance policy');
    const words = new Set(backticked(policy));
    expect(refusalCodes.filter((code) => !words.has(code))).toEqual([]);
    const codes = new Set<string>(refusalCodes);
    const snakeCase = [...words].filter((word) => /^[a-z]+(_[a-z]+)+$/.test(word));
    expect(snakeCase.filter((word) => !codes.has(word))).toEqual([]);
  });

  it('every `<status> <code>` the docs cite is an error code the code can answer', () => {
    const source = ['shared', 'functions'].flatMap(sourceFiles).map(read).join('\n');
    const literals = new Set([...source.matchAll(/'([a-z]+(?:_[a-z]+)*)'/g)].map((match) => match[1]));
    const cited = docFiles().flatMap((path) =>
      [...read(path).matchAll(/`[45]\d\d ([a-z_]+)`/g)].map((match) => ({ path, code: match[1] ?? '' })),
    );
    expect(cited.length).toBeGreaterThan(10);
    expect(cited.filter(({ code }) => !literals.has(code))).toEqual([]);
  });

  it('every file of the repository the docs cite exists', () => {
    const cited = docFiles().flatMap((path) =>
      [...read(path).matchAll(REPOSITORY_PATH)].map((match) => ({ path, file: match[1] ?? '' })),
    );
    expect(cited.length).toBeGreaterThan(50);
    expect(cited.filter(({ file }) => !existsSync(new URL(file, root)))).toEqual([]);
  });
});
