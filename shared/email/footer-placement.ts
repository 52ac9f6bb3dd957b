import { createHash } from 'node:crypto';
import { DomUtils, parseDocument } from 'htmlparser2';
import { renderBalanced } from './balanced-html';
import { everyHidingSelector, mightMatch } from './css-visibility';
import { visibleContent, visibleContentOf } from './visible-text';

/**
 * Puts the footer where a mail client shows it, whatever HTML the sender wrote (handbook promise 10), or
 * says why it cannot. The sender's HTML is parsed (htmlparser2) and written back with every element,
 * comment and quote closed (balanced-html.ts); the footer becomes the last child of `<body>` (or of the
 * document), after anything that followed `</body>` or `</html>`. Then the result is read back as a reader
 * sees it (visible-text.ts), in the standard view and in Outlook's (conditional comments applied), and
 * refused unless the whole footer is visible there and not inside a link, a form control, a closed
 * `<details>` or anything else that does not show its content as text.
 */

type Document = ReturnType<typeof parseDocument>;
type DomNode = Document['children'][number];
type DomElement = Extract<DomNode, { attribs: Record<string, string> }>;
type DomParent = Document | DomElement;

export type FooterPlacement = { placed: true; html: string } | { placed: false; reason: string };

/** Deeper than any real template; deeper trees are refused rather than walked. */
export const MAX_NESTING_DEPTH = 256;

/** Ancestors that do not show the footer as text a reader can use (a link, a control, fallback content). */
const NOT_SHOWING_CONTENT = new Set(
  'a audio button canvas datalist head iframe map math noembed noframes noscript object optgroup option script select style svg template textarea title video xmp'.split(
    ' ',
  ),
);
/** Shown only with the `open` attribute. */
const SHOWN_WHEN_OPEN = new Set(['details', 'dialog']);

export function placeFooter(senderHtml: string, footerHtml: string): FooterPlacement {
  const document = parseDocument(senderHtml);
  const unwritable = unwritableReason(document);
  if (unwritable !== undefined) return { placed: false, reason: unwritable };

  // A marker the sender cannot have written: it is derived from their HTML.
  const marker = `data-footer-${createHash('sha256').update(senderHtml).digest('hex').slice(0, 16)}`;
  const parent = footerParent(document);
  const footerNodes = [...parseDocument(footerHtml).children];
  const wrapper = footerNodes.find(DomUtils.isTag);
  if (wrapper !== undefined) wrapper.attribs[marker] = '';
  for (const node of footerNodes) DomUtils.appendChild(parent, node);

  const withMarker = renderBalanced(document.children);
  const expected = visibleContent(footerHtml).text;
  const reason =
    whyNotShown(withMarker, marker, expected) ?? whyNotShownInOutlook(withMarker, marker, expected);
  if (reason !== undefined) return { placed: false, reason };
  // The marker's name cannot occur in the sender's HTML (it is derived from it), so this removes only ours.
  return { placed: true, html: withMarker.replace(` ${marker}=""`, '') };
}

/** What cannot be written back with the footer after it, found without recursion (the tree may be deep). */
function unwritableReason(document: Document): string | undefined {
  const pending: Array<{ node: DomNode | Document; depth: number }> = [{ node: document, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth } = next;
    if (depth > MAX_NESTING_DEPTH) return `elements are nested more than ${MAX_NESTING_DEPTH} levels deep`;
    if (DomUtils.isTag(node) && node.name === 'plaintext') {
      return 'a <plaintext> element turns everything after it, the footer too, into plain text';
    }
    if (DomUtils.isTag(node) && node.name === 'frameset') {
      return 'a frameset document has no body to show the footer in';
    }
    if ('children' in node)
      for (const child of node.children) pending.push({ node: child, depth: depth + 1 });
  }
  return undefined;
}

/**
 * The last `<body>` that is a body for a browser (in `<html>` or at the top), with whatever followed it
 * moved inside; otherwise the document itself (a fragment, or a `<head>`-only document).
 */
function footerParent(document: Document): DomParent {
  const body = DomUtils.getElementsByTagName('body', document.children, true)
    .filter((element) => element.parent === document || isTopLevelHtml(element.parent, document))
    .at(-1);
  if (body === undefined) return document;
  const trailing: DomNode[] = [];
  for (let node: DomNode | null = body; node !== null && node !== document; node = node.parent as DomNode) {
    for (let sibling = node.next; sibling !== null; sibling = sibling.next) trailing.push(sibling);
  }
  for (const node of trailing) {
    DomUtils.removeElement(node);
    DomUtils.appendChild(body, node);
  }
  return body;
}

const isTopLevelHtml = (node: DomNode['parent'], document: Document) =>
  node !== null && DomUtils.isTag(node) && node.name === 'html' && node.parent === document;

/** Why a reader of `html` would not see the element carrying `marker` with all of `expected`, if so. */
function whyNotShown(html: string, marker: string, expected: string): string | undefined {
  const document = parseDocument(html);
  const footer = DomUtils.findOne((element) => element.attribs[marker] !== undefined, document.children);
  if (footer === null) return 'the footer would not be part of the document';
  const hidingSelectors = DomUtils.getElementsByTagName('style', document.children).flatMap((style) =>
    everyHidingSelector(DomUtils.textContent(style)),
  );
  for (const { name, attribs } of ancestorsOf(footer)) {
    if (NOT_SHOWING_CONTENT.has(name)) return `the footer would be inside <${name}>`;
    if (SHOWN_WHEN_OPEN.has(name) && attribs.open === undefined) {
      return `the footer would be inside a closed <${name}>`;
    }
    const selector = hidingSelectors.find((candidate) => mightMatch(candidate, name, attribs));
    if (selector !== undefined)
      return `the style rule "${selector}" could hide the <${name}> the footer is in`;
  }
  const { markedText } = visibleContentOf(document, { marker });
  if (markedText !== expected) {
    return 'the footer would be hidden, in whole or in part, by the HTML around it (display:none, visibility, opacity, font-size:0, zero size, the hidden attribute, text coloured like its background…)';
  }
  return undefined;
}

/** The footer's ancestors, with the `<body>` and `<html>` a browser adds to a fragment. */
function ancestorsOf(footer: DomElement): Array<{ name: string; attribs: Record<string, string> }> {
  const ancestors: DomElement[] = [];
  for (let node = footer.parent; node !== null && DomUtils.isTag(node); node = node.parent)
    ancestors.push(node);
  const implied = ['body', 'html']
    .filter((name) => !ancestors.some((ancestor) => ancestor.name === name))
    .map((name) => ({ name, attribs: {} }));
  return [...ancestors, ...implied];
}

/**
 * Outlook shows the content of `<!--[if mso]>…<![endif]-->` and hides `<!--[if !mso]><!-->…<!--<![endif]-->`:
 * its view is checked too. Comments were written without `--` inside, so these patterns cannot overlap.
 */
function whyNotShownInOutlook(html: string, marker: string, expected: string): string | undefined {
  if (!/<!--\s*\[if/i.test(html)) return undefined;
  const withoutHiddenBlocks = html.replace(/<!--\[if\s+![^\]]*\]><!-->[\s\S]*?<!--<!\[endif\]-->/gi, '');
  if (/<!--\[if\s+![^\]]*\]><!-->/i.test(withoutHiddenBlocks)) {
    return 'an Outlook conditional comment (<!--[if !mso]><!-->) is not closed by <!--<![endif]-->, so Outlook hides everything after it';
  }
  const outlookView = withoutHiddenBlocks
    .replace(/<!--\[if\s+![^\]]*\]>(?:(?!-->)[\s\S])*-->/gi, '')
    .replace(/<!--\[if\s+[^\]]*\]><!-->|<!--<!\[endif\]-->/gi, '')
    .replace(/<!--\[if\s+[^\]]*\]>((?:(?!-->)[\s\S])*?)<!\[endif\]-->/gi, '$1');
  if (/<!--\s*\[if/i.test(outlookView)) {
    return 'an Outlook conditional comment (<!--[if …]>) is not closed by <![endif]-->';
  }
  const reason = whyNotShown(outlookView, marker, expected);
  return reason === undefined ? undefined : `in Outlook, ${reason}`;
}
