import { parseEmailAddress } from './email-address';
import { headerUnsafeCharacter } from './validation/rules';

/**
 * The formats of configuration values: each a reader of one environment variable's string. Only config.ts
 * reads the environment; these say what a valid value looks like and what it becomes.
 *
 * Plain code, not zod: the configuration is read in every cold start before anything else, and with
 * `zod/mini` it cost ~19 ms of CPU per start in a bundle split as the functions are (~0.2 of the bare
 * Hono + SDK bundle's import), most of it zod core, which esbuild puts whole in the start chunk because
 * the lazily loaded classic schemas use the same files (docs/architecture.md, "Cold start"). The readers
 * keep zod's rules: every check of a value runs and each failure is one problem; a value of the wrong
 * kind (not a number) is one problem and its range is not checked. The rules are validation/rules.ts's
 * and email-address.ts's predicates, the same as the routes'.
 */

/** A variable's value, or the problems that refuse it (each a message naming no secret). */
export type Reading<T> = { ok: true; value: T } | { ok: false; problems: string[] };
/** Reads one variable: `undefined` when it is missing (an empty string counts as missing). */
export type VariableReader<T> = (raw: string | undefined) => Reading<T>;
/** Reads a present variable's string. */
type ValueReader<T> = (raw: string) => Reading<T>;
/** A rule of a value: the message when it does not hold (built from the value where it names a part). */
type Rule<T> = readonly [holds: (value: T) => boolean, message: string | ((value: T) => string)];

export const accepted = <T>(value: T): Reading<T> => ({ ok: true, value });
export const refused = (...problems: string[]): Reading<never> => ({ ok: false, problems });

/** Every rule is checked (all failures reported, as zod does); the value passes when none fails. */
function checked<T>(value: T, rules: readonly Rule<T>[]): Reading<T> {
  const problems = rules
    .filter(([holds]) => !holds(value))
    .map(([, message]) => (typeof message === 'string' ? message : message(value)));
  return problems.length === 0 ? accepted(value) : refused(...problems);
}

/** Then `next` on the value, only when it was accepted (zod's pipe). */
const then =
  <A, B>(first: ValueReader<A>, next: (value: A) => Reading<B>): ValueReader<B> =>
  (raw) => {
    const reading = first(raw);
    return reading.ok ? next(reading.value) : reading;
  };

export const required =
  <T>(missing: string, read: ValueReader<T>): VariableReader<T> =>
  (raw) =>
    raw === undefined ? refused(missing) : read(raw);

export const optional =
  <T>(read: ValueReader<T>): VariableReader<T | undefined> =>
  (raw) =>
    raw === undefined ? accepted(undefined) : read(raw);

export const withDefault =
  <T>(fallback: T, read: ValueReader<T>): VariableReader<T> =>
  (raw) =>
    raw === undefined ? accepted(fallback) : read(raw);

/** Text that must satisfy `rules`, as it is. */
export const text =
  (...rules: Rule<string>[]): ValueReader<string> =>
  (raw) =>
    checked(raw, rules);

/** Text trimmed first, then checked. */
export const trimmedText =
  (...rules: Rule<string>[]): ValueReader<string> =>
  (raw) =>
    checked(raw.trim(), rules);

export const matching = (pattern: RegExp, message: string): Rule<string> => [
  (value) => pattern.test(value),
  message,
];
export const minLength = (min: number, message: string): Rule<string> => [
  (value) => value.length >= min,
  message,
];
export const maxLength = (max: number, message: string): Rule<string> => [
  (value) => value.length <= max,
  message,
];

/** One of `values`. */
export const oneOf =
  <const T extends string>(values: readonly T[], message: string): ValueReader<T> =>
  (raw) =>
    (values as readonly string[]).includes(raw) ? accepted(raw as T) : refused(message);

/** A number (as JavaScript's `Number` reads it) that satisfies `rules`; not a number: `notNumber` alone. */
export const number =
  (notNumber: string, ...rules: Rule<number>[]): ValueReader<number> =>
  (raw) => {
    const value = Number(raw);
    return Number.isFinite(value) ? checked(value, rules) : refused(notNumber);
  };

export const wholeNumberIn = (min: number, max: number): ValueReader<number> =>
  number(
    'must be a whole number',
    [Number.isInteger, 'must be a whole number'],
    [(value) => value >= min, `must be at least ${min}`],
    [(value) => value <= max, `must be at most ${max}`],
  );

/** A positive whole number up to `max`; `fallback` when unset. */
export const positiveInteger = (fallback: number, max: number) =>
  withDefault(fallback, wholeNumberIn(1, max));

/** An absolute URL, trimmed, without the tabs and line breaks the URL parser would ignore. */
export const url =
  (message: string): ValueReader<string> =>
  (raw) => {
    const trimmed = raw.trim();
    return URL.canParse(trimmed) ? accepted(trimmed.replace(/[\t\n\r]/g, '')) : refused(message);
  };

export const optionalUrl = optional(url('must be an absolute URL'));

/** Sender values reach the From header and subjects: the one definition of header-safe text. */
export const headerSafeText = (what: string) =>
  required(
    `is required (${what})`,
    trimmedText(minLength(1, 'must not be empty'), maxLength(200, 'must be at most 200 characters'), [
      (value) => headerUnsafeCharacter(value) === undefined,
      (value) =>
        `must be one line without control characters, tabs or line breaks (found ${headerUnsafeCharacter(value)})`,
    ]),
  );

/** An email address as the routes accept one (email-address.ts), normalised. */
export const emailAddress: ValueReader<string> = then(
  text(maxLength(320, 'must be at most 254 characters')),
  (raw) => {
    const parsed = parseEmailAddress(raw);
    return parsed.ok ? accepted(parsed.email) : refused(parsed.reason);
  },
);

/** A required sender address; `what` says in the message what it is for. */
export const senderAddress = (what: string) => required(`must be an email address (${what})`, emailAddress);

/** Comma-separated origins (`https://www.example.com`), normalised to `URL.origin`. */
export const originList = withDefault<string[]>([], (raw) => {
  const origins: string[] = [];
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    if (!URL.canParse(entry)) return refused(`"${entry}" is not an origin like https://www.example.com`);
    const { origin, protocol } = new URL(entry);
    if (origin !== entry.replace(/\/$/, '') || !['https:', 'http:'].includes(protocol)) {
      return refused(`"${entry}" must be a bare origin like https://www.example.com`);
    }
    origins.push(origin);
  }
  return accepted(origins);
});

/**
 * `kid:secret` pairs, comma separated; secrets are base64 or base64url and at least 32 bytes. Checked
 * against the active id by `keyringOf` (shared/signing-keyring.ts), the same rules as the secret's JSON.
 */
export const signingKeys = optional((raw) =>
  accepted(
    raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((pair): [string, string] => {
        const separator = pair.indexOf(':');
        return separator > 0 ? [pair.slice(0, separator), pair.slice(separator + 1)] : ['', ''];
      }),
  ),
);

/** An optional name or id (a configuration set, a key id, a secret's id or ARN): not empty, at most `max`. */
export const optionalText = (max?: number) =>
  optional(
    text(
      minLength(1, 'must not be empty'),
      ...(max === undefined ? [] : [maxLength(max, `must be at most ${max} characters`)]),
    ),
  );
