import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * A stack trace with the positions of our source files instead of the minified bundle's. The functions
 * run bundled (infra/function-bundle.ts), each output file beside its source map. Node's
 * `--enable-source-maps` maps every stack, but it reads and parses the map of every module as the module
 * loads, which made each cold start 15-25 ms slower (docs/architecture.md, "Cold start"); a map is read
 * here only when a stack from its file is logged, once per process.
 */

/** A bundle file's map, or null where it has none (read once; most stacks have the same few files). */
const maps = new Map<string, SourceMap | null>();

function mapOf(fileUrl: string): SourceMap | null {
  let map = maps.get(fileUrl);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(fileUrl)}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(fileUrl, map);
  }
  return map;
}

/** `file:///var/task/chunks/chunk-X.mjs:1:2345`: a position in an ES module file of a bundle. */
const BUNDLE_POSITION = /file:\/\/\/[^\s()]+?\.mjs:\d+:\d+/g;
const POSITION_PARTS = /^(.+):(\d+):(\d+)$/;

/**
 * `stack` with each position in a bundle file that has a source map replaced by the original file's
 * (`shared/config.ts:253:17`, relative to the repository); positions without one stay as they are.
 */
export function sourceMappedStack(stack: string): string {
  return stack.replace(BUNDLE_POSITION, (position) => {
    const [, file = '', line, column] = POSITION_PARTS.exec(position) ?? [];
    const origin = mapOf(file)?.findOrigin(Number(line), Number(column));
    if (origin === undefined || !('fileName' in origin)) return position;
    // esbuild writes sources relative to the output directory: what follows the `../`s is the path in
    // the repository (or in node_modules).
    const source = origin.fileName.replace(/^(?:\.\.\/)+/, '');
    return `${source}:${origin.lineNumber}:${origin.columnNumber}`;
  });
}
