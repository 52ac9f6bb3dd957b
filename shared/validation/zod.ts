/**
 * zod, with `.openapi()` on its schemas: the one module that imports 'zod' (a lint rule, biome.json).
 * Importing `z` from here extends zod before the importing module's body runs, so no schema module can
 * call `.openapi()` on a zod nobody extended (a fresh function's first route module answered 500 that
 * way: a hand-written `extendZodForOpenApi()` call was missing). Import it as a namespace
 * (`import * as z from '…/validation/zod'`), as zod itself: esbuild then keeps only the members used.
 */
// Extends zod as it loads (the extension runs in that module, which shares zod's chunk in a bundle).
import './openapi-metadata';

export * from 'zod';
