/**
 * Checks of small JSON values by plain code, for what runs on a request that must not load zod: a signed
 * token's payload (shared/tokens.ts), checked on every pixel load and one-click unsubscribe, whose cold
 * start measured zod's ~370 KB of source as most of its first request (docs/architecture.md, "Cold
 * start"), and the stored items every admin request or its first one reads (an API key, a list:
 * `plainItemSchema`, shared/data-model/from-item.ts). Each check returns the value it accepts, or
 * `INVALID`; an object check returns a new object with its fields in the order declared, and refuses
 * unknown fields (`strictObject`, as zod's `strictObject` parses) or drops them (`object`, as zod's).
 */

export const INVALID: unique symbol = Symbol('invalid');

/** `output` is never set: it names the accepted type where a conditional type would not resolve. */
export type Check<T> = ((value: unknown) => T | typeof INVALID) & { readonly output?: T };
type OptionalCheck<T> = Check<T | undefined> & { optional: true };

type Shape = Record<string, Check<unknown>>;
type Checked<C> = C extends Check<infer T> ? T : never;
/** What `C` accepts, as a type that stays an object type in generic code (unlike `Checked`). */
export type CheckedBy<C extends Check<unknown>> = NonNullable<C['output']>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] };
export type ShapeOf<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Checked<S[K]> } & {
    [K in OptionalKeys<S>]?: Exclude<Checked<S[K]>, undefined>;
  }
>;

/** A string `test` accepts. */
export const text =
  (test: (value: string) => boolean): Check<string> =>
  (value) =>
    typeof value === 'string' && test(value) ? value : INVALID;

/** Exactly `expected`. */
export const literal =
  <const T extends string | number | boolean>(expected: T): Check<T> =>
  (value) =>
    value === expected ? expected : INVALID;

/** One of `values`. */
export const oneOf =
  <const T extends string>(values: readonly T[]): Check<T> =>
  (value) =>
    (values as readonly unknown[]).includes(value) ? (value as T) : INVALID;

/** An integer of at least `min`; a safe one (as zod's `int()`): beyond 2^53 - 1 a number is not exact. */
export const integer =
  (min: number): Check<number> =>
  (value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min ? value : INVALID;

/** Absent or undefined, or what `check` accepts. */
export function optional<T>(check: Check<T>): OptionalCheck<T> {
  return Object.assign((value: unknown) => (value === undefined ? undefined : check(value)), {
    optional: true as const,
  });
}

/** An array of `min` to `max` items, each accepted by `check`. */
export function list<T>(check: Check<T>, { min, max }: { min: number; max: number }): Check<T[]> {
  return (value) => {
    if (!Array.isArray(value) || value.length < min || value.length > max) return INVALID;
    const items: T[] = [];
    for (const item of value) {
      const checked = check(item);
      if (checked === INVALID) return INVALID;
      items.push(checked);
    }
    return items;
  };
}

/** An object with exactly the fields of `shape` (optional ones may be absent), each checked. */
export function strictObject<S extends Shape>(shape: S): Check<ShapeOf<S>> {
  const names = Object.keys(shape);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;
    const fields = value as Record<string, unknown>;
    if (Object.keys(fields).some((name) => !Object.hasOwn(shape, name))) return INVALID;
    const checked: Record<string, unknown> = {};
    for (const name of names) {
      const result = (shape[name] as Check<unknown>)(fields[name]);
      if (result === INVALID) return INVALID;
      if (result !== undefined || Object.hasOwn(fields, name)) checked[name] = result;
    }
    return checked as ShapeOf<S>;
  };
}

/** What `check` accepts and `rule` holds of. */
export const where =
  <T>(check: Check<T>, rule: (value: T) => boolean): Check<T> =>
  (value) => {
    const checked = check(value);
    return checked !== INVALID && rule(checked) ? checked : INVALID;
  };

/** Any string. */
export const string: Check<string> = (value) => (typeof value === 'string' ? value : INVALID);

/** `true` or `false`. */
export const boolean: Check<boolean> = (value) => (typeof value === 'boolean' ? value : INVALID);

/** A finite number (as zod's `number()`: neither `NaN` nor an infinity). */
export const number: Check<number> = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? value : INVALID;

/** `null`, or what `check` accepts. */
export const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (value) =>
    value === null ? null : check(value);

/** What `check` accepts; `fallback` when absent or undefined (as zod's `.default()`). */
export const withDefault =
  <T>(check: Check<T>, fallback: T): Check<T> =>
  (value) =>
    value === undefined ? fallback : check(value);

/**
 * An object with the fields of `shape` (optional ones may be absent), each checked, in the order declared;
 * fields it does not declare are dropped, not refused (as zod's `object`): for stored items, which carry
 * attributes of other readers and of older code.
 */
export function object<S extends Shape>(shape: S): Check<ShapeOf<S>> {
  const names = Object.keys(shape);
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;
    const fields = value as Record<string, unknown>;
    const checked: Record<string, unknown> = {};
    for (const name of names) {
      const result = (shape[name] as Check<unknown>)(fields[name]);
      if (result === INVALID) return INVALID;
      if (result !== undefined) checked[name] = result;
    }
    return checked as ShapeOf<S>;
  };
}

/** An object whose keys are some of `keys` (none other), each value accepted by `check`. */
export function partialRecord<const K extends string, T>(
  keys: readonly K[],
  check: Check<T>,
): Check<Partial<Record<K, T>>> {
  const allowed: readonly string[] = keys;
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;
    const checked: Partial<Record<K, T>> = {};
    for (const [key, entry] of Object.entries(value)) {
      const result = check(entry);
      if (!allowed.includes(key) || result === INVALID) return INVALID;
      checked[key as K] = result;
    }
    return checked;
  };
}
