/**
 * The CSS that hides content from a reader, as far as it can be read without a browser: inline `style`
 * declarations and the simple rules of `<style>` blocks (used by visible-text.ts). It answers "hidden, and
 * why" for one element's declarations; a mail client may hide more (rules inside `@media`, selectors we do
 * not read), which is why callers also judge the text they consider visible.
 */

export type Declarations = ReadonlyMap<string, string>;

/** `color: red; DISPLAY : none !important` → `{ color → red, display → none }` (names and values lower case). */
export function parseDeclarations(style: string): Map<string, string> {
  const declarations = new Map<string, string>();
  for (const declaration of stripComments(style).split(';')) {
    const colon = declaration.indexOf(':');
    if (colon < 0) continue;
    const name = declaration.slice(0, colon).trim().toLowerCase();
    const value = declaration
      .slice(colon + 1)
      .replace(/!\s*important/i, '')
      .trim()
      .toLowerCase();
    if (name !== '' && value !== '') declarations.set(name, value);
  }
  return declarations;
}

const stripComments = (css: string) => css.replace(/\/\*[\s\S]*?\*\//g, ' ');

/** The number a length or number starts with (`0`, `0px`, `.5em`), or undefined for keywords. */
function leadingNumber(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^([-+]?(?:\d+\.?\d*|\.\d+))([a-z%]*)$/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const isZero = (value: string | undefined) => leadingNumber(value) === 0;

/** Font sizes below 2px (or pt) are unreadable; zero in any unit is nothing at all. */
function isUnreadableFontSize(value: string | undefined): boolean {
  const size = leadingNumber(value);
  if (size === undefined || value === undefined) return false;
  return size <= 0 || (/^[\d.]+(?:px|pt)?$/.test(value) && size < 2);
}

/** Pushed off-screen: a large negative indent or position (`text-indent:-9999px`, `left:-5000px`). */
function isOffScreen(declarations: Declarations): boolean {
  return ['text-indent', 'left', 'top', 'margin-left'].some((name) => {
    const offset = leadingNumber(declarations.get(name));
    return offset !== undefined && offset <= -500;
  });
}

/** Why these declarations hide an element from a reader, or undefined when they do not. */
export function hidingReason(declarations: Declarations): string | undefined {
  const get = (name: string) => declarations.get(name);
  if (get('display') === 'none') return 'display:none';
  if (get('visibility') === 'hidden' || get('visibility') === 'collapse') return 'visibility:hidden';
  if (get('mso-hide') === 'all') return 'mso-hide:all';
  const opacity = leadingNumber(get('opacity'));
  if (opacity !== undefined && opacity < 0.1) return 'opacity:0';
  if (isUnreadableFontSize(get('font-size'))) return 'font-size:0';
  const clipped = get('overflow') === 'hidden';
  if (clipped && ['height', 'max-height', 'width', 'max-width'].some((name) => isZero(get(name)))) {
    return 'zero size';
  }
  if (get('color') === 'transparent') return 'color:transparent';
  if (isOffScreen(declarations)) return 'positioned off-screen';
  return undefined;
}

/** One compound selector we can match without a browser: an element name, classes and an id. */
export interface SimpleSelector {
  tag?: string;
  id?: string;
  classes: string[];
}

export interface StyleRule {
  selector: SimpleSelector;
  declarations: Declarations;
}

/** `div.promo#x` → its parts; undefined for anything with attributes, pseudo-classes or `*`. */
function parseCompound(text: string): SimpleSelector | undefined {
  const match = /^([a-z][a-z0-9-]*)?((?:[.#][A-Za-z_][\w-]*)*)$/i.exec(text);
  if (match === null || (match[1] === undefined && match[2] === '')) return undefined;
  const parts = match[2]?.match(/[.#][\w-]+/g) ?? [];
  const id = parts.find((part) => part.startsWith('#'))?.slice(1);
  return {
    ...(match[1] === undefined ? {} : { tag: match[1].toLowerCase() }),
    ...(id === undefined ? {} : { id }),
    classes: parts.filter((part) => part.startsWith('.')).map((part) => part.slice(1)),
  };
}

/** Removes `@media … { … }` and other at-rule blocks: what they hide is hidden from some readers only. */
function withoutAtRuleBlocks(css: string): string {
  let result = '';
  let depth = 0;
  let inAtRule = false;
  for (let index = 0; index < css.length; index++) {
    const char = css[index];
    if (!inAtRule && depth === 0 && char === '@') inAtRule = true;
    if (inAtRule) {
      if (char === '{') depth++;
      else if (char === '}' && --depth === 0) inAtRule = false;
      else if (char === ';' && depth === 0) inAtRule = false;
      continue;
    }
    result += char;
  }
  return result;
}

/**
 * The rules of a `<style>` block that hide something, outside at-rules. Of a descendant selector
 * (`.box .promo`) only the last compound is kept: it may find more hidden elements than a browser would,
 * never fewer.
 */
export function hidingStyleRules(css: string): StyleRule[] {
  const rules: StyleRule[] = [];
  for (const [, selectors = '', body = ''] of withoutAtRuleBlocks(stripComments(css)).matchAll(
    /([^{}]+)\{([^{}]*)\}/g,
  )) {
    const declarations = parseDeclarations(body);
    if (hidingReason(declarations) === undefined) continue;
    for (const selector of selectors.split(',')) {
      const last =
        selector
          .trim()
          .split(/[\s>+~]+/)
          .at(-1) ?? '';
      const compound = parseCompound(last);
      if (compound !== undefined) rules.push({ selector: compound, declarations });
    }
  }
  return rules;
}

/** Whether an element with this name and attributes matches `selector`. */
export function matchesSelector(
  selector: SimpleSelector,
  name: string,
  attributes: Readonly<Record<string, string>>,
): boolean {
  if (selector.tag !== undefined && selector.tag !== name.toLowerCase()) return false;
  if (selector.id !== undefined && selector.id !== attributes.id) return false;
  const classes = new Set((attributes.class ?? '').split(/\s+/));
  return selector.classes.every((name) => classes.has(name));
}

const namedColours: Record<string, string> = {
  white: '#ffffff',
  black: '#000000',
  red: '#ff0000',
  blue: '#0000ff',
  green: '#008000',
  yellow: '#ffff00',
  gray: '#808080',
  grey: '#808080',
  silver: '#c0c0c0',
};

/** A colour as `#rrggbb` when it is written as hex, `rgb()` or a common name; otherwise undefined. */
export function normaliseColour(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const colour = value.trim().toLowerCase();
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(colour);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`;
  if (/^#[0-9a-f]{6}$/.test(colour)) return colour;
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*1(?:\.0+)?\s*)?\)$/.exec(colour);
  if (rgb) {
    const hex = rgb.slice(1, 4).map((part) => Math.min(255, Number(part)).toString(16).padStart(2, '0'));
    return `#${hex.join('')}`;
  }
  return namedColours[colour];
}

/** The background colour these declarations set (`background-color`, or a `background` that is one colour). */
export function backgroundColour(declarations: Declarations): string | undefined {
  return normaliseColour(declarations.get('background-color') ?? declarations.get('background'));
}

/**
 * The selectors of every rule that hides something, inside at-rules (`@media`, `@supports`) too: for a
 * check that must not miss one, where `hidingStyleRules` reads only what applies to every reader.
 */
export function everyHidingSelector(css: string): string[] {
  const selectors: string[] = [];
  for (const [, list = '', body = ''] of stripComments(css).matchAll(/([^{};]+)\{([^{}]*)\}/g)) {
    if (hidingReason(parseDeclarations(body)) === undefined) continue;
    selectors.push(
      ...list
        .split(',')
        .map((selector) => selector.trim())
        .filter(Boolean),
    );
  }
  return selectors;
}

/**
 * Whether `selector` might match an element with this name and attributes, read generously: of its last
 * compound, pseudo-classes, attribute selectors and `*` are dropped; if nothing readable is left
 * (`:root`, `[lang]`, `*`), it might match anything.
 */
export function mightMatch(
  selector: string,
  name: string,
  attributes: Readonly<Record<string, string>>,
): boolean {
  const last = selector.split(/\s*[>+~]\s*|\s+/).at(-1) ?? '';
  const readable = last
    .replace(/::?[a-z-]+(?:\([^)]*\))?/gi, '')
    .replace(/\[[^\]]*\]/g, '')
    .replaceAll('*', '');
  if (readable === '') return true;
  const compound = parseCompound(readable);
  return compound === undefined || matchesSelector(compound, name, attributes);
}
