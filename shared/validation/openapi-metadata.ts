import * as z from 'zod';

/**
 * `.openapi()` on zod's schemas, without the OpenAPI generator: a request's route module builds its
 * schemas (and their OpenAPI metadata) as it loads, and serving a request must not load
 * `@asteasolutions/zod-to-openapi` (one ~78 KB file holding the document generators) for it. So the metadata
 * is recorded here, exactly as zod-to-openapi's own `extendZodWithOpenApi` records it (same merging, same
 * new instance per call, the same methods keeping it), and `openApiMetadataInto` hands it to
 * zod-to-openapi's registry when the document is built (shared/http/openapi-document.ts).
 * `test/integration/openapi.test.ts` holds the document to the one this module's predecessor gave.
 *
 * The extension is made once, by shared/validation/zod.ts as it loads: every module takes zod from there
 * (a lint rule), so none can call `.openapi()` on a zod nobody extended.
 */

type Metadata = Record<string, unknown> & { _internal?: Record<string, unknown>; param?: object };
interface MetadataStore {
  get(schema: z.ZodType): Metadata | undefined;
  add(schema: z.ZodType, metadata: Metadata): unknown;
}

/** Until a document is built: zod's own registry kind (metadata inherited along `.check()` clones). */
const recorded = z.registry<Metadata>();
/** What was recorded, in order, to hand over (a registry cannot be listed). */
const recordedInOrder: [z.ZodType, Metadata][] = [];
let store: MetadataStore = {
  get: (schema) => recorded.get(schema),
  add: (schema, metadata) => {
    recorded.add(schema, metadata);
    recordedInOrder.push([schema, metadata]);
  },
};

/**
 * Hands every recorded metadata to zod-to-openapi's registry (`zodToOpenAPIRegistry`), in order, and
 * records later calls there directly. Called by the document's code once it has loaded zod-to-openapi.
 */
export function openApiMetadataInto(registry: MetadataStore): void {
  if (store === registry) return;
  for (const [schema, metadata] of recordedInOrder) registry.add(schema, metadata);
  recordedInOrder.length = 0;
  store = registry;
}

/** zod-to-openapi's `Metadata.getMetadataFromRegistry`: ours merged with zod's own `.meta()`. */
function metadataOf(schema: z.ZodType): Metadata | undefined {
  const internal = store.get(schema);
  const general = schema.meta() as Metadata | undefined;
  if (!internal) return general;
  const { _internal, ...rest } = internal;
  const { id, title, ...restGeneral } = general ?? {};
  return {
    _internal: { ...(id ? { refId: id } : {}), ..._internal },
    ...rest,
    ...(title ? { description: title } : {}),
    ...restGeneral,
  };
}

type Schema = z.ZodType & Record<string, unknown>;

/** Keeps the metadata on what `modifier` returns (zod-to-openapi's `preserveMetadataFromModifier`). */
function preserveMetadataFromModifier(schema: Schema, modifier: string) {
  const original = schema[modifier];
  if (typeof original !== 'function') return;
  schema[modifier] = function (this: z.ZodType, ...args: unknown[]) {
    const result = original.apply(this, args);
    const meta = metadataOf(this);
    if (meta) store.add(result, meta);
    return result;
  };
}

const MODIFIERS_KEEPING_METADATA = [
  'optional',
  'nullable',
  'default',
  'transform',
  'refine',
  'length',
  'min',
  'max',
];

function openapi(this: Schema, ...args: unknown[]) {
  const [refOrMetadata, metadataOrOptions, maybeOptions] = args;
  const byRef = typeof refOrMetadata === 'string';
  const refId = byRef ? refOrMetadata : undefined;
  const metadata = (byRef ? metadataOrOptions : refOrMetadata) as Metadata | undefined;
  const options = (byRef ? maybeOptions : metadataOrOptions) as object | undefined;
  const { param, ...restOfOpenApi } = metadata ?? {};
  const { _internal: internalMetadata, ...currentMetadata } = metadataOf(this) ?? {};
  const _internal = { ...internalMetadata, ...options, ...(refId ? { refId } : undefined) };
  const resultMetadata: Metadata = {
    ...currentMetadata,
    ...restOfOpenApi,
    ...(currentMetadata.param || param ? { param: { ...currentMetadata.param, ...param } } : undefined),
  };
  // A new instance, so that sequential calls on one schema do not override each other.
  const result = new (this.constructor as new (def: unknown) => Schema)(this._def);
  const setMetadata = (schema: z.ZodType) =>
    store.add(schema, {
      ...(Object.keys(_internal).length > 0 ? { _internal } : undefined),
      ...resultMetadata,
    });
  setMetadata(result);
  // z.json() is a lazy schema: its inner schema needs the refId too.
  if (result.def.type === 'lazy') setMetadata(this);
  if (result.def.type === 'object') {
    const objectMetadata = metadataOf(result);
    const originalExtend = result.extend as (...extendArgs: unknown[]) => Schema;
    result.extend = (...extendArgs: unknown[]) => {
      const extended = originalExtend.apply(result, extendArgs);
      const { _internal: objectInternal, ...rest } = objectMetadata ?? {};
      store.add(extended, {
        _internal: {
          extendedFrom: objectInternal?.refId
            ? { refId: objectInternal.refId, schema: result }
            : objectInternal?.extendedFrom,
        },
      });
      return (extended.openapi as (metadata: Metadata) => Schema)(rest);
    };
    preserveMetadataFromModifier(result, 'catchall');
  }
  for (const modifier of MODIFIERS_KEEPING_METADATA) preserveMetadataFromModifier(result, modifier);
  const originalMeta = result.meta as (...metaArgs: unknown[]) => Schema;
  result.meta = function (this: Schema, ...metaArgs: unknown[]) {
    const metaResult = originalMeta.apply(this, metaArgs);
    if (metaArgs[0]) {
      const meta = store.get(this);
      if (meta) store.add(metaResult, { ...meta, ...(metaArgs[0] as Metadata) });
    }
    return metaResult;
  };
  return result;
}

/** Adds `.openapi()` to zod's schemas (idempotent). */
export function extendZodForOpenApi(): void {
  const prototype: object = z.ZodType.prototype;
  if (!('openapi' in prototype)) Object.assign(prototype, { openapi });
}

// As this module loads, not by its importer (shared/validation/zod.ts imports it for this): esbuild puts this
// module in the chunk of zod's own code, which every chunk using zod imports, whereas it adds a side-effect
// import of zod.ts's chunk only to the chunks `import()` loads, not to the chunks they share: a shared chunk
// (openapi-schemas.ts's) could run its `.openapi()` calls before zod.ts's chunk ran, as a fresh admin-api did
// when zod.ts no longer shared a chunk with the data model. test/unit/cold-start-imports.test.ts pins it.
extendZodForOpenApi();
