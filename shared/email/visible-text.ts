import { DomUtils, parseDocument } from 'htmlparser2';
import {
  backgroundColour,
  type Declarations,
  hidingReason,
  hidingStyleRules,
  matchesSelector,
  normaliseColour,
  parseDeclarations,
  type StyleRule,
} from './css-visibility';

/**
 * What a reader sees of an HTML part: its visible text, and the elements that carry text a reader does
 * not see (hidden by CSS, the `hidden` attribute, or text coloured like its background). Used to judge an
 * announcement by what it shows, and to refuse one that hides content (hidden text still reaches the
 * inbox preview and the spam filters, and it is where promotion would be slipped past a check).
 *
 * Not rendered: `<head>`, `<title>`, `<script>`, `<style>`, `<template>` and comments, except Outlook's
 * conditional comments (`<!--[if mso]>…<![endif]-->`), whose content Outlook shows. Image `alt` text
 * counts as visible: mail clients show it while images are blocked.
 */

type DomNode = ReturnType<typeof parseDocument>['children'][number];
type DomElement = Extract<DomNode, { attribs: Record<string, string> }>;

export interface HiddenElement {
  /** The element's name, e.g. `div`. */
  element: string;
  /** How it is hidden, e.g. `display:none`. */
  reason: string;
  /** The start of the text it hides. */
  excerpt: string;
}

export interface VisibleContent {
  text: string;
  hidden: HiddenElement[];
  /** With `options.marker`: the visible text of the element carrying that attribute, if a reader sees it. */
  markedText?: string;
}

const NOT_RENDERED = new Set(['head', 'title', 'script', 'style', 'template']);
const BLOCKS = new Set(
  'address article aside blockquote br center dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul'.split(
    ' ',
  ),
);
const CELLS = new Set(['td', 'th']);
const CONDITIONAL_COMMENT = /^\s*\[if[^\]]*\]>([\s\S]*)<!\[endif\]\s*$/i;
const EXCERPT_LENGTH = 60;

/** The colours an element's text inherits, and the style rules of the document. */
interface Context {
  rules: readonly StyleRule[];
  colour: string | undefined;
  background: string | undefined;
}

interface Sink {
  parts: string[];
  hidden: HiddenElement[];
  /** Set on visible walks only: an element with this attribute inside something hidden is never seen. */
  marker?: string;
  markedText?: string;
}

export function visibleContent(html: string, options: { marker?: string } = {}): VisibleContent {
  return visibleContentOf(parseDocument(html), options);
}

/** `visibleContent` of a document already parsed with htmlparser2's `parseDocument`. */
export function visibleContentOf(
  document: ReturnType<typeof parseDocument>,
  options: { marker?: string } = {},
): VisibleContent {
  const rules = DomUtils.getElementsByTagName('style', document).flatMap((style) =>
    hidingStyleRules(DomUtils.textContent(style)),
  );
  const sink: Sink = {
    parts: [],
    hidden: [],
    ...(options.marker === undefined ? {} : { marker: options.marker }),
  };
  walk(document.children, { rules, colour: undefined, background: undefined }, sink);
  return {
    text: tidy(sink.parts.join('')),
    hidden: sink.hidden,
    ...(sink.markedText === undefined ? {} : { markedText: sink.markedText }),
  };
}

function walk(nodes: readonly DomNode[], context: Context, sink: Sink): void {
  for (const node of nodes) {
    if (DomUtils.isText(node)) sink.parts.push(node.data);
    else if (DomUtils.isComment(node)) {
      const shownByOutlook = CONDITIONAL_COMMENT.exec(node.data)?.[1];
      if (shownByOutlook !== undefined) walk(parseDocument(shownByOutlook).children, context, sink);
    } else if (DomUtils.isTag(node)) visitElement(node, context, sink);
  }
}

function visitElement(element: DomElement, context: Context, sink: Sink): void {
  const name = element.name.toLowerCase();
  if (NOT_RENDERED.has(name)) return;
  const { reason, inner } = elementVisibility(element, context);
  if (reason !== undefined) {
    const hiddenSink: Sink = { parts: [], hidden: [] };
    walk(element.children, inner, hiddenSink);
    const hiddenText = tidy(hiddenSink.parts.join(' ') + altText(element));
    if (hiddenText !== '') {
      sink.hidden.push({ element: name, reason, excerpt: hiddenText.slice(0, EXCERPT_LENGTH) });
    }
    return;
  }
  const separator = BLOCKS.has(name) ? '\n' : CELLS.has(name) ? ' ' : '';
  sink.parts.push(separator, altText(element));
  const from = sink.parts.length;
  walk(element.children, inner, sink);
  if (sink.marker !== undefined && element.attribs[sink.marker] !== undefined) {
    sink.markedText = tidy(sink.parts.slice(from).join(''));
  }
  sink.parts.push(separator);
}

const altText = (element: DomElement) =>
  element.name.toLowerCase() === 'img' && element.attribs.alt ? ` ${element.attribs.alt} ` : '';

/** Whether `element` is hidden (and why), and the context its children inherit. */
function elementVisibility(
  element: DomElement,
  context: Context,
): { reason: string | undefined; inner: Context } {
  const declarations = declarationsOf(element, context.rules);
  const colour = normaliseColour(declarations.get('color') ?? element.attribs.color) ?? context.colour;
  const background =
    backgroundColour(declarations) ?? normaliseColour(element.attribs.bgcolor) ?? context.background;
  const inner = { rules: context.rules, colour, background };
  if (element.attribs.hidden !== undefined) return { reason: 'hidden attribute', inner };
  const reason = hidingReason(declarations);
  if (reason !== undefined) return { reason, inner };
  const sameAsBackground = colour !== undefined && colour === background;
  const alreadySame = context.colour !== undefined && context.colour === context.background;
  if (sameAsBackground && !alreadySame) return { reason: 'text coloured like its background', inner };
  return { reason: undefined, inner };
}

/** The style rules that match `element`, then its inline style (which wins). */
function declarationsOf(element: DomElement, rules: readonly StyleRule[]): Declarations {
  const merged = new Map<string, string>();
  for (const rule of rules) {
    if (!matchesSelector(rule.selector, element.name, element.attribs)) continue;
    for (const [name, value] of rule.declarations) merged.set(name, value);
  }
  for (const [name, value] of parseDeclarations(element.attribs.style ?? '')) merged.set(name, value);
  return merged;
}

/** Runs of spaces made one, blank lines dropped, each line trimmed. */
function tidy(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\f\r]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}
