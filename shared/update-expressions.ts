import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Update expressions composed from what they change, never edited as text. One transaction may touch an
 * item only once, so a later step that must change the same item (unconfirmed-expiry.ts ends a contact's
 * expiry in the Update that also records its consent) adds parts to the Update an earlier step composed,
 * and the expression is composed again from all of them.
 *
 * Written here rather than taken from a library: `@aws-sdk/lib-dynamodb` marshals values but builds no
 * expressions; `@aws/dynamodb-expressions` is archived and built for SDK v2's attribute values; and
 * dynamodb-toolbox or ElectroDB would replace our data model to give us this one function.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Update = NonNullable<TransactItem['Update']>;

/** What one Update changes. */
export interface UpdateParts {
  /** Attribute name → its new value. */
  set?: Readonly<Record<string, unknown>>;
  remove?: readonly string[];
  /** Attribute name → the number added to it. */
  add?: Readonly<Record<string, number>>;
}

/** An Update's condition, with the names and values it uses (placeholders other than `#u…`/`:u…`). */
export interface UpdateCondition {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The expression of `parts`, its attribute names as `#u<n>` and values as `:u<n>`. */
export function updateExpression(
  parts: UpdateParts,
): Pick<Update, 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const nameRef = (attribute: string) => {
    const placeholder = `#u${Object.keys(names).length}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const valueRef = (value: unknown) => {
    const placeholder = `:u${Object.keys(values).length}`;
    values[placeholder] = value;
    return placeholder;
  };
  const set = Object.entries(parts.set ?? {}).map(([name, value]) => `${nameRef(name)} = ${valueRef(value)}`);
  const remove = (parts.remove ?? []).map(nameRef);
  const add = Object.entries(parts.add ?? {}).map(([name, value]) => `${nameRef(name)} ${valueRef(value)}`);
  const clauses = [
    set.length > 0 ? `SET ${set.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
    add.length > 0 ? `ADD ${add.join(', ')}` : '',
  ];
  return {
    UpdateExpression: clauses.filter((clause) => clause !== '').join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** The parts and condition of each Update composed here, so that a later step can add to it. */
const composed = new WeakMap<Update, { parts: UpdateParts; condition: UpdateCondition | undefined }>();

/** An Update transaction item composed from `parts`, on `condition` when given. */
export function composedUpdate(
  target: { TableName: string; Key: Record<string, unknown> },
  parts: UpdateParts,
  condition?: UpdateCondition,
): { Update: Update } {
  const update: Update = { ...target, UpdateExpression: '' };
  compose(update, parts, condition);
  return { Update: update };
}

/**
 * Adds `more` to an Update composedUpdate made. An attribute it already changes cannot be changed again
 * (DynamoDB refuses two paths that overlap), nor can an Update written as text be amended.
 */
export function amendUpdate(update: Update, more: UpdateParts): void {
  const earlier = composed.get(update);
  if (earlier === undefined) throw new Error('Only an Update made by composedUpdate can be amended.');
  const touched = new Set(attributesOf(earlier.parts));
  const overlap = attributesOf(more).filter((name) => touched.has(name));
  if (overlap.length > 0) throw new Error(`The Update already changes ${overlap.join(', ')}.`);
  const { parts } = earlier;
  compose(
    update,
    {
      set: { ...parts.set, ...more.set },
      remove: [...(parts.remove ?? []), ...(more.remove ?? [])],
      add: { ...parts.add, ...more.add },
    },
    earlier.condition,
  );
}

const attributesOf = (parts: UpdateParts) => [
  ...Object.keys(parts.set ?? {}),
  ...(parts.remove ?? []),
  ...Object.keys(parts.add ?? {}),
];

function compose(update: Update, parts: UpdateParts, condition: UpdateCondition | undefined): void {
  const expression = updateExpression(parts);
  const names = { ...condition?.ExpressionAttributeNames, ...expression.ExpressionAttributeNames };
  const values = { ...condition?.ExpressionAttributeValues, ...expression.ExpressionAttributeValues };
  update.UpdateExpression = expression.UpdateExpression;
  update.ExpressionAttributeNames = names;
  if (Object.keys(values).length > 0) update.ExpressionAttributeValues = values;
  if (condition !== undefined) update.ConditionExpression = condition.ConditionExpression;
  composed.set(update, { parts, condition });
}
