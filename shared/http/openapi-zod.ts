import { extendZodWithOpenApi } from '@hono/zod-openapi';
import * as z from 'zod';

/**
 * Adds `.openapi()` to zod's schemas (idempotent). @hono/zod-openapi does it as it loads, but a module that
 * calls `.openapi()` at its own load must not count on that: the bundles are split into chunks
 * (infra/function-bundle.ts) and esbuild keeps a cross-chunk import only for a binding that is used, not
 * for `import '@hono/zod-openapi'` alone, so such a module's chunk could run before the extension. Call
 * this first in any module that builds schemas with `.openapi()` at load and imports nothing else from
 * @hono/zod-openapi. Only `ZodType` is passed, never the namespace: see `overTargetCeilings` in
 * infra/bundle-sizes.ts.
 */
export function extendZodForOpenApi(): void {
  extendZodWithOpenApi({ ZodType: z.ZodType } as Parameters<typeof extendZodWithOpenApi>[0]);
}
