import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync } from 'esbuild';

/**
 * How every function is bundled, by `cdk synth` (`ConsentMailFunction`), `npm run bundle-sizes`, the
 * cold-start benchmark and the bundled-handler tests alike: esbuild, ESM, minified, target node22, the
 * AWS SDK bundled, source maps without sources, and code splitting. The handler's entry (`index.mjs`)
 * holds what every invocation runs; each module reached only through `import()` (route groups, the
 * OpenAPI document, email composition) is a chunk under `chunks/`, read and compiled on its first use:
 * V8 scans a whole file when it is imported, so code in the entry that a request may never run still
 * costs every cold start.
 */

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies bundled into it (parts of the AWS SDK's
 * dependency tree) call it for Node built-ins, so every output file defines one.
 */
export const esmRequireBanner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * The AWS SDK's default credential chain imports these providers on demand, but on Lambda its first
 * provider, the environment, always answers. Bundled, they and the STS/SSO clients they bring cost about
 * 105 KB per function (a tenth of each cold start's parse); each is replaced by a stub that fails loudly
 * should the bundle ever run where credentials come from anywhere else.
 */
export const credentialProvidersNotBundled = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/** esbuild's `alias` option: each provider above to the stub. */
export const bundleAliases: Record<string, string> = Object.fromEntries(
  credentialProvidersNotBundled.map((name) => [
    name,
    join(repositoryRoot, 'infra/lambda-runtime/credentials-from-environment-only.mjs'),
  ]),
);

/**
 * The NODE_OPTIONS every function is deployed with (`ConsentMailFunction`; none when empty), which the
 * cold-start benchmark gives each bundle and the bare one alike. Not `--enable-source-maps`: it reads and
 * parses the source map of every module as the module loads, 15-25 ms of every cold start (measured,
 * docs/architecture.md "Cold start"); logged stacks are mapped when they are logged instead
 * (shared/source-mapped-stack.ts).
 */
export const FUNCTION_NODE_OPTIONS = '';

/** The file Lambda loads (the handler setting `index.handler`), in the bundle's directory. */
export const ENTRY_FILE = 'index.mjs';

/** The esbuild options for bundling `entry` (an absolute path) into `outdir`. */
export function functionBundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: [entry],
    outdir,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: esmRequireBanner },
    alias: bundleAliases,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
  };
}

export interface BuiltBundle {
  /** The path of `index.mjs`. */
  entryFile: string;
  /** `index.mjs` and the chunks it imports statically, transitively: what every cold start reads. */
  startBytes: number;
  /** The source files (relative to the working directory, as esbuild names them) in those files. */
  startInputs: string[];
  /**
   * The source files an `import()` of `source` (relative to the repository root) reads: its chunk and the
   * chunks that one imports statically, start files included. Empty when no chunk is made for it.
   */
  inputsLoadedBy(source: string): string[];
  /** The source files of each JavaScript file of the bundle (the entry and every chunk), one list a file. */
  inputsByFile: string[][];
}

type Outputs = NonNullable<ReturnType<typeof buildSync>['metafile']>['outputs'];

/** `file` and the output files it imports statically, transitively. */
function staticallyLoaded(outputs: Outputs, file: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const { path, kind } of outputs[output]?.imports ?? []) if (kind === 'import-statement') visit(path);
  };
  visit(file);
  return loaded;
}

const inputsOf = (outputs: Outputs, files: Set<string>) =>
  [...files].flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}));

/**
 * Bundles `entry` (relative to the repository root, or absolute) into `outdir`, synchronously: CDK's
 * local bundling (`ILocalBundling.tryBundle`) cannot wait for a promise.
 */
export function bundleFunction(entry: string, outdir: string): BuiltBundle {
  const { metafile } = buildSync({
    ...functionBundleOptions(join(repositoryRoot, relative(repositoryRoot, entry)), outdir),
    metafile: true,
  });
  const outputs = metafile?.outputs ?? {};
  const entryOutput = Object.keys(outputs).find((file) => file.endsWith(`/${ENTRY_FILE}`));
  if (entryOutput === undefined) throw new Error(`esbuild wrote no ${ENTRY_FILE} for ${entry}`);
  const atStart = staticallyLoaded(outputs, entryOutput);
  const startBytes = [...atStart].reduce((sum, file) => sum + (outputs[file]?.bytes ?? 0), 0);
  return {
    entryFile: join(outdir, ENTRY_FILE),
    startBytes,
    startInputs: inputsOf(outputs, atStart),
    inputsByFile: Object.entries(outputs)
      .filter(([file]) => file.endsWith('.mjs'))
      .map(([, output]) => Object.keys(output.inputs)),
    inputsLoadedBy(source) {
      // esbuild names entry points relative to the working directory, as it names inputs.
      const entryPoint = relative(process.cwd(), join(repositoryRoot, source));
      const chunk = Object.keys(outputs).find((file) => outputs[file]?.entryPoint === entryPoint);
      return chunk === undefined ? [] : inputsOf(outputs, staticallyLoaded(outputs, chunk));
    },
  };
}

export interface BundleFiles {
  /** Every JavaScript file of the bundle (entry and chunks), source maps left out. */
  totalBytes: number;
  /** `index.mjs` alone: what a cold start reads before its first request. */
  entryBytes: number;
}

/** The sizes of a bundle's JavaScript files in `directory` (as `bundleFunction` wrote them). */
export function bundleFileSizes(directory: string): BundleFiles {
  const files = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.mjs'),
  );
  return {
    totalBytes: files.reduce((sum, file) => sum + statSync(join(directory, file)).size, 0),
    entryBytes: statSync(join(directory, ENTRY_FILE)).size,
  };
}
