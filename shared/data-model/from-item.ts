import { ENTITY_ATTRIBUTE, type EntityName, table, tableAttributes } from '../data-model';
import { StoredItemError } from '../errors';
import { type Check, INVALID, object, type ShapeOf } from '../validation/plain-checks';
import type * as z from '../validation/zod';

/**
 * Reading an item: every entity's stored shape is a zod schema (the `*-items.ts` modules beside this one),
 * and `fromItem` is the one way an item becomes a domain object. It drops the table's own attributes
 * (keys and entity name: `tableAttributes`, one list), parses what is left, and throws `StoredItemError`
 * when the item is not what its schema says, instead of handing on an object whose type lies.
 *
 * Schemas are `z.object`s, which drop attributes they do not declare: bookkeeping of other access
 * patterns (a claim marker) and attributes older code wrote (a list's `trackingAllowedByDefault`, read
 * through a default or a preprocess). Fields added after items were first written are optional or have a
 * default, so older items still read.
 *
 * The items a cold start's first request reads on its own path (an admin request's API key, the lists of
 * `GET /admin/v1/lists`) are checked by plain code instead (`plainItemSchema`, shared/validation/
 * plain-checks.ts), with the same rules, so that path loads no zod (docs/architecture.md, "Cold start").
 */

/** What parses an item's fields: a zod schema, or a `plainItemSchema`'s check. */
export interface StoredShape<Output> {
  safeParse(
    fields: unknown,
  ):
    | { success: true; data: Output }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export interface ItemSchema<Output> {
  readonly entity: EntityName;
  readonly schema: StoredShape<Output>;
}

/** The schema of `entity`'s items. */
export function itemSchema<Output>(entity: EntityName, schema: z.ZodType<Output>): ItemSchema<Output> {
  return { entity, schema };
}

type Fields = Record<string, Check<unknown>>;

/**
 * The schema of `entity`'s items as plain checks, one per field (shared/validation/plain-checks.ts), read
 * as zod's `object` reads: fields in the order declared, undeclared ones dropped; then `transform`. A
 * field that fails is named in the `StoredItemError`, as zod names it. `transform` gives the domain object.
 */
export function plainItemSchema<S extends Fields, Output>(
  entity: EntityName,
  fields: S,
  transform: (checked: ShapeOf<S>) => Output,
): ItemSchema<Output> {
  const whole = object(fields);
  const safeParse: StoredShape<Output>['safeParse'] = (value) => {
    const checked = whole(value);
    if (checked !== INVALID) return { success: true, data: transform(checked) };
    // Only for the error: which fields failed (stored items are objects, so it is never the whole item).
    const item = value as Record<string, unknown>;
    const issues = Object.keys(fields)
      .filter((name) => (fields[name] as Check<unknown>)(item[name]) === INVALID)
      .map((name) => ({ path: [name], message: item[name] === undefined ? 'is missing' : 'is not valid' }));
    return { success: false, error: { issues } };
  };
  return { entity, schema: { safeParse } };
}

/**
 * A view of an entity's items: the attributes one reader needs, read with a ProjectionExpression
 * (`projectionOf`) and parsed with the view's own schema, so the reader neither receives nor parses the
 * rest of the item.
 */
export interface ItemView<Output> extends ItemSchema<Output> {
  readonly attributes: readonly string[];
}

/** The view of `entity`'s items made of the attributes `schema` declares. */
export function itemView<Output>(
  entity: EntityName,
  schema: z.ZodType<Output> & { shape: Record<string, unknown> },
): ItemView<Output> {
  return { entity, schema, attributes: Object.keys(schema.shape) };
}

/**
 * The ProjectionExpression that reads a view's attributes, with the item's keys and entity name (so answers
 * can be matched to the keys asked and `fromItem` still checks the entity). Every name is a placeholder:
 * `name`, `status` and `locale` are among DynamoDB's reserved words.
 */
export function projectionOf(view: ItemView<unknown>): {
  ProjectionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
} {
  const names = [...new Set([table.partitionKey, table.sortKey, ENTITY_ATTRIBUTE, ...view.attributes])];
  return {
    ProjectionExpression: names.map((_, index) => `#a${index}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#a${index}`, name])),
  };
}

/** The domain object of the output type of an item schema. */
export type ItemOf<S> = S extends ItemSchema<infer Output> ? Output : never;

const isTableAttribute = new Set(tableAttributes);

function keyText(item: Record<string, unknown>): string {
  return `${String(item[table.partitionKey])} / ${String(item[table.sortKey])}`;
}

/** `item`, read from the table, as its entity's domain object; `StoredItemError` when it does not match. */
export function fromItem<Output>(
  { entity, schema }: ItemSchema<Output>,
  item: Record<string, unknown>,
): Output {
  const stored = item[ENTITY_ATTRIBUTE];
  // Items written before the entity attribute existed have none; one naming another entity is a wrong read.
  if (stored !== undefined && stored !== entity) {
    throw new StoredItemError(entity, keyText(item), [
      { path: ENTITY_ATTRIBUTE, message: `is "${String(stored)}"` },
    ]);
  }
  const fields: Record<string, unknown> = {};
  for (const name in item) if (!isTableAttribute.has(name)) fields[name] = item[name];
  const parsed = schema.safeParse(fields);
  if (parsed.success) return parsed.data;
  throw new StoredItemError(
    entity,
    keyText(item),
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}
