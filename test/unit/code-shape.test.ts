import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The size rules of our code (shared/, functions/ and the CDK app in infra/): no function over 80 lines, no file over
 * 400. A longer function mixes steps a reader should find by name; a longer file holds more than one
 * thing a newcomer would look for. Lines are counted by the TypeScript compiler's own parse: a function
 * from its first token (leading comments excluded) to its last, nested functions each counted on their own.
 */

const MAX_FUNCTION_LINES = 80;
const MAX_FILE_LINES = 400;

/**
 * Files allowed to be longer, each with why. An entry that is no longer needed fails the test, so the
 * list only ever shrinks.
 */
const LONGER_FILES_ALLOWED: Record<string, string> = {};

const root = new URL('../../', import.meta.url);
const directories = ['shared', 'functions', 'infra'];

function sourceFiles(): string[] {
  return directories.flatMap((directory) =>
    readdirSync(new URL(directory, root), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
      .map((name) => join(directory, name)),
  );
}

function isFunctionLike(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** What a reader would call the function: its own name, or the variable or property it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name !== undefined) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return '(anonymous)';
}

interface FunctionSpan {
  where: string;
  lines: number;
}

function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const visit = (node: ts.Node) => {
    if (isFunctionLike(node)) {
      const first = lineOf(node.getStart(source));
      spans.push({
        where: `${file}:${first + 1} ${nameOf(node, source)}`,
        lines: lineOf(node.getEnd()) - first + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

describe('the code', () => {
  const files = sourceFiles();
  const texts = new Map(files.map((file) => [file, readFileSync(new URL(file, root), 'utf8')]));

  it(`has no function over ${MAX_FUNCTION_LINES} lines in shared/, functions/ or infra/`, () => {
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .flatMap((file) => functionSpans(file, texts.get(file) ?? ''))
      .filter((span) => span.lines > MAX_FUNCTION_LINES)
      .map((span) => `${span.where}: ${span.lines} lines`);
    expect(long).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines in shared/, functions/ or infra/, but the ones named with why`, () => {
    const long = files
      .filter((file) => lineCount(texts.get(file) ?? '') > MAX_FILE_LINES)
      .filter((file) => !(file in LONGER_FILES_ALLOWED))
      .map((file) => `${file}: ${lineCount(texts.get(file) ?? '')} lines`);
    expect(long).toEqual([]);
  });

  it('names only files that still need it as longer', () => {
    const stale = Object.keys(LONGER_FILES_ALLOWED).filter(
      (file) => !texts.has(file) || lineCount(texts.get(file) ?? '') <= MAX_FILE_LINES,
    );
    expect(stale).toEqual([]);
  });

  it('counts with a walk that does find a long function, nested or not', () => {
    const body = Array.from({ length: 80 }, (_, line) => `  const v${line} = ${line};`).join('\n');
    const text = [
      'export function long() {',
      body,
      '}',
      'const short = () => 1;',
      'class C {',
      '  method() {',
      '    return [1].map((n) => {',
      body,
      '    });',
      '  }',
      '}',
    ].join('\n');
    const long = functionSpans('x.ts', text).filter((span) => span.lines > MAX_FUNCTION_LINES);
    expect(long).toEqual([
      { where: 'x.ts:1 long', lines: 82 },
      { where: 'x.ts:85 method', lines: 84 },
      { where: 'x.ts:86 (anonymous)', lines: 82 },
    ]);
  });
});
