import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { functionEntries } from '../../infra/bundle-sizes';
import { type BuiltBundle, bundleFunction } from '../../infra/function-bundle';

/**
 * What a cold start compiles before the first event: each event function's start is its configuration,
 * keyring, logger and clients. The configuration is read by plain code (shared/config-values.ts) and the
 * keyring checked by plain predicates (shared/validation/rules.ts), so zod, classic or mini, waits for the
 * code that uses it (a chunk loaded by the first event that needs it): with classic zod at start, the
 * worker's import took 1.4-1.5 × the bare bundle's instead of ~1.15 ×, ses-events' and inbound-mail's
 * ~1.3-1.4 ×; with the configuration on `zod/mini`, zod core (which esbuild puts whole in the start chunk,
 * since the later chunks' classic schemas use the same files) cost every start ~19 ms of CPU
 * (docs/architecture.md, "Cold start").
 */

const directories: string[] = [];
const bundles = new Map<keyof typeof functionEntries, BuiltBundle>();
/** Each function bundled once for the file (esbuild takes most of a second). */
function bundled(name: keyof typeof functionEntries): BuiltBundle {
  let bundle = bundles.get(name);
  if (bundle === undefined) {
    const directory = mkdtempSync(join(tmpdir(), 'consent-mail-start-'));
    directories.push(directory);
    bundle = bundleFunction(functionEntries[name], directory);
    bundles.set(name, bundle);
  }
  return bundle;
}
const classicZod = (inputs: string[]) => inputs.filter((input) => input.includes('zod/v4/classic/'));
const anyZod = (inputs: string[]) => inputs.filter((input) => input.includes('node_modules/zod/'));
const ours = (inputs: string[], pattern: RegExp) => inputs.filter((input) => pattern.test(input));
const openApiMachinery = (inputs: string[]) =>
  inputs.filter((input) =>
    /node_modules\/(@asteasolutions\/zod-to-openapi|@hono\/zod-openapi)\//.test(input),
  );
const routeModules = (name: string) =>
  readdirSync(`functions/${name}/routes`)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => `functions/${name}/routes/${file}`);

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('cold start', () => {
  it.each(Object.keys(functionEntries) as (keyof typeof functionEntries)[])(
    '%s compiles no zod at all before its first event: the configuration is read by plain code',
    (name) => {
      const { startInputs } = bundled(name);
      expect(startInputs).toContainEqual(expect.stringMatching(/shared\/config\.ts$/));
      expect(anyZod(startInputs)).toEqual([]);
    },
  );

  it('the campaign worker’s minute sweep loads no classic zod when nothing is due', () => {
    // The sweep first counts due work (shared/due-work.ts); each sweep's code waits for work that is due.
    const bundle = bundled('campaign-worker');
    const dueCheck = bundle.inputsLoadedBy('shared/due-work.ts');
    expect(dueCheck).toContainEqual(expect.stringMatching(/shared\/due-work\.ts$/));
    expect(classicZod(dueCheck)).toEqual([]);
    expect(classicZod(bundle.inputsLoadedBy('shared/campaigns/sweep.ts'))).not.toEqual([]);
  });

  it.each(['public-api', 'admin-api'] as const)(
    '%s compiles no classic zod, error pages, docs or route code before its first request',
    (name) => {
      // The shell routes; the routes' modules, the tokens and mailer they share, the error answers and the
      // API docs are each imported by the first request that needs them (shared/http/route-groups.ts).
      const { startInputs } = bundled(name);
      expect(startInputs).toContainEqual(expect.stringMatching(/shared\/http\/route-groups\.ts$/));
      expect(classicZod(startInputs)).toEqual([]);
      expect(
        ours(
          startInputs,
          /(shared\/(tokens|api-keys|http\/(error-responses|api-docs|audit-trail|human-facing))|\/routes\/[^/]+)\.ts$/,
        ),
      ).toEqual([]);
    },
  );

  it('a pixel request loads no signup, page or admin code', () => {
    // The first request of most public-api cold starts is an open pixel: its group loads its own route.
    const pixel = bundled('public-api').inputsLoadedBy('functions/public-api/routes/pixel.ts');
    expect(pixel).toContainEqual(expect.stringMatching(/routes\/pixel\.ts$/));
    expect(
      ours(pixel, /(shared\/(consent\/signup|email\/compose|http\/error-responses)|routes\/(?!pixel))/),
    ).toEqual([]);
  });

  it('an open pixel’s first request loads no zod and no OpenAPI machinery', () => {
    // Its route validates nothing, its token is checked by plain code (shared/validation/plain-checks.ts)
    // and its write needs no item schema: zod (~370 KB of source) was most of this request's loading.
    const bundle = bundled('public-api');
    const firstRequest = [
      ...bundle.inputsLoadedBy('functions/public-api/routes/pixel.ts'),
      ...bundle.inputsLoadedBy('functions/public-api/route-dependencies.ts'),
    ];
    expect(firstRequest).toContainEqual(expect.stringMatching(/shared\/tokens\.ts$/));
    expect(firstRequest).toContainEqual(expect.stringMatching(/shared\/tracking\/record-open\.ts$/));
    expect(anyZod(firstRequest)).toEqual([]);
    expect(openApiMachinery(firstRequest)).toEqual([]);
  });

  it('an admin key and `GET /admin/v1/lists`, the admin function’s usual first request, load no zod', () => {
    // The key and list items are checked by plain code (plainItemSchema); the lists routes' zod schemas
    // are in list-schemas.ts, imported by the first declaration that needs them, and reading every list
    // validates nothing, so it is served without its declaration (lazyRoute's `served`).
    const bundle = bundled('admin-api');
    const firstRequest = [
      ...bundle.inputsLoadedBy('shared/api-keys.ts'),
      ...bundle.inputsLoadedBy('functions/admin-api/routes/lists.ts'),
    ];
    expect(firstRequest).toContainEqual(expect.stringMatching(/shared\/data-model\/api-key-items\.ts$/));
    expect(firstRequest).toContainEqual(expect.stringMatching(/shared\/data-model\/list-items\.ts$/));
    expect(anyZod(firstRequest)).toEqual([]);
    expect(anyZod(bundle.inputsLoadedBy('functions/admin-api/routes/list-schemas.ts'))).not.toEqual([]);
  });

  it('an inbound reply loads the public suffix list only when DKIM alone may vouch for its sender', () => {
    // tldts (~130 KB) in the event's code took inbound-mail's import + first event from ~1.14 to ~1.41 × the
    // bare bundle's; a reply SPF authenticates never compares DKIM domains (shared/consent/sender-alignment.ts).
    const bundle = bundled('inbound-mail');
    const tldts = (inputs: string[]) => inputs.filter((input) => input.includes('node_modules/tldts'));
    const firstEvent = bundle.inputsLoadedBy('functions/inbound-mail/process-inbound-mail.ts');
    expect(firstEvent).toContainEqual(expect.stringMatching(/shared\/consent\/sender-alignment\.ts$/));
    expect(tldts([...bundle.startInputs, ...firstEvent])).toEqual([]);
    expect(tldts(bundle.inputsByFile.flat())).not.toEqual([]);
  });

  it.each(['public-api', 'admin-api', 'ses-events', 'inbound-mail', 'campaign-worker'] as const)(
    '%s: every chunk that loads zod loads its `.openapi()` extension, whatever loads first',
    (name) => {
      // Every module takes zod from shared/validation/zod.ts, which extends it as it loads (a lint rule);
      // this holds esbuild to running that module before any chunk's code that may call `.openapi()`, for
      // each module a first request or event may load first (each chunk `import()` makes).
      const bundle = bundled(name);
      const sources = readdirSync('.', { recursive: true, encoding: 'utf8' }).filter((file) =>
        /^(shared|functions)\/.*\.ts$/.test(file),
      );
      const loadingZod = sources.filter((source) =>
        bundle.inputsLoadedBy(source).some((input) => input.includes('node_modules/zod/')),
      );
      expect(loadingZod.length).toBeGreaterThan(0);
      for (const source of loadingZod) {
        // The document's code loads the generator, which imports zod itself; it extends nothing.
        if (source === 'shared/http/api-docs.ts') continue;
        expect(bundle.inputsLoadedBy(source), source).toContainEqual(
          expect.stringMatching(/shared\/validation\/zod\.ts$/),
        );
      }
    },
  );

  it.each(['public-api', 'admin-api', 'ses-events', 'inbound-mail', 'campaign-worker'] as const)(
    '%s: zod is extended by the chunk of zod’s own code, which every chunk using zod imports',
    (name) => {
      // esbuild adds the side-effect import of zod.ts's chunk only to the chunks `import()` loads, not to
      // the chunks they share, which may then run before it (openapi-schemas.ts's `.openapi()` calls did,
      // on a fresh admin-api's GET /admin/v1/whoami): the extension runs as openapi-metadata.ts loads.
      const zodChunk = bundled(name).inputsByFile.find((inputs) =>
        inputs.some((input) => input.endsWith('node_modules/zod/v4/classic/schemas.js')),
      );
      expect(zodChunk).toContainEqual(expect.stringMatching(/shared\/validation\/openapi-metadata\.ts$/));
    },
  );

  it('openapi-metadata.ts extends zod as it loads, not its importer', () => {
    // In a fresh process: this module alone, then zod's prototype.
    const script =
      "await import('./shared/validation/openapi-metadata.ts'); const z = await import('zod');" +
      "console.log('openapi' in z.ZodType.prototype);";
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('true');
  });

  it.each(['public-api', 'admin-api'] as const)(
    '%s serves every route without the OpenAPI machinery, which only the document loads',
    (name) => {
      const bundle = bundled(name);
      // Each route module a group imports (a few are imported by those, as contact-schemas.ts).
      const imported = routeModules(name).filter((route) => bundle.inputsLoadedBy(route).length > 0);
      expect(imported.length).toBeGreaterThan(9);
      for (const route of imported) expect(openApiMachinery(bundle.inputsLoadedBy(route)), route).toEqual([]);
      expect(openApiMachinery(bundle.inputsLoadedBy('shared/http/api-docs.ts'))).not.toEqual([]);
    },
  );
});
