import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No import circles in the code that runs: shared/, functions/ and infra/. A circle makes module
 * initialisation order matter (a value read before its module has run is undefined) and means two modules
 * cannot be understood apart. Type-only imports count too: they are the same dependency for a reader.
 * The walk reads each file's static `import … from` and `export … from` specifiers and follows the
 * relative ones.
 */

const root = new URL('../../', import.meta.url);
const directories = ['shared', 'functions', 'infra'];

function sourceFiles(): string[] {
  return directories.flatMap((directory) =>
    readdirSync(new URL(directory, root), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
      .map((name) => join(directory, name)),
  );
}

const SPECIFIER = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** The repository files `file` imports, by relative specifier. */
function importsOf(file: string): string[] {
  const text = readFileSync(new URL(file, root), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? '';
    if (!specifier.startsWith('.')) continue;
    const base = normalize(join(dirname(file), specifier));
    const target = [`${base}.ts`, join(base, 'index.ts'), base].find(
      (candidate) => candidate.endsWith('.ts') && existsSync(new URL(candidate, root)),
    );
    if (target === undefined) throw new Error(`${file} imports ${specifier}, which is not a file here`);
    found.push(target);
  }
  return found;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function importCircles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}

describe('imports', () => {
  it('form no circle in shared/, functions/ or infra/', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    expect(importCircles(graph)).toEqual([]);
  });

  it('are checked by a walk that does find a circle', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCircles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });
});
