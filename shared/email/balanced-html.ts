import type { parseDocument } from 'htmlparser2';
import { DomUtils } from 'htmlparser2';

/**
 * Writes a tree parsed by htmlparser2 back as HTML that leaves nothing open: every element closed, text
 * and attribute values escaped, comments that cannot end early, no script. Whatever the sender's markup
 * left unclosed (a comment, `<style>`, `<textarea>`, `<a>`, a quote), what follows this HTML starts
 * outside it. Browsers treat more elements as raw text than htmlparser2 does (`<iframe>`, `<noscript>`,
 * `<noembed>`, `<noframes>`); because no `<` is left in any text or attribute, such an element still
 * ends at our end tag. `<plaintext>` and framesets cannot be written this way: callers refuse them.
 */

type DomNode = ReturnType<typeof parseDocument>['children'][number];

/** Elements an HTML5 parser never gives an end tag (`image` is read as `img`). */
const VOID_ELEMENTS = new Set(
  'area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr'.split(
    ' ',
  ),
);
/** Script never runs in mail, and its escape states could carry it past `</script>`: it is dropped. */
const DROPPED_ELEMENTS = new Set(['script']);
/** Element names written as they are (`o:p`, `v:rect` of Outlook included); any other is unwrapped. */
const TAG_NAME = /^[a-z][a-z0-9:._-]*$/i;
const ATTRIBUTE_NAME = /^[a-z_:][a-z0-9_.:-]*$/i;
const DOCTYPE = /^!doctype[^<>]*$/i;

export function renderBalanced(nodes: readonly DomNode[]): string {
  const out: string[] = [];
  for (const node of nodes) renderNode(node, out);
  return out.join('');
}

function renderNode(node: DomNode, out: string[]): void {
  if (DomUtils.isText(node)) out.push(escapeText(node.data));
  else if (DomUtils.isComment(node)) {
    if (isSafeComment(node.data)) out.push(`<!--${node.data}-->`);
  } else if (DomUtils.isTag(node)) renderElement(node, out);
  else if (node.type === 'directive' && 'data' in node && DOCTYPE.test(node.data)) out.push(`<${node.data}>`);
  else if ('children' in node) for (const child of node.children) renderNode(child, out);
}

function renderElement(element: Extract<DomNode, { attribs: Record<string, string> }>, out: string[]): void {
  const name = element.name.toLowerCase();
  if (DROPPED_ELEMENTS.has(name)) return;
  const written = TAG_NAME.test(name);
  if (written) out.push(`<${name}${attributesOf(element.attribs)}>`);
  if (name === 'style') {
    for (const child of element.children) if (DomUtils.isText(child)) out.push(escapeStyle(child.data));
  } else {
    for (const child of element.children) renderNode(child, out);
  }
  // A void element's children (htmlparser2 gives `bgsound` some) become its following siblings.
  if (written && !VOID_ELEMENTS.has(name)) out.push(`</${name}>`);
}

function attributesOf(attributes: Record<string, string>): string {
  let written = '';
  for (const name in attributes) {
    if (!ATTRIBUTE_NAME.test(name)) continue;
    written += ` ${name}="${escapeAttribute(attributes[name] ?? '')}"`;
  }
  return written;
}

/**
 * A comment every parser ends at our `-->`: no `--` inside (`--!>` also ends one), no `<!-`, and no start
 * or end that merges with the delimiters. Outlook's conditional comments pass; others are dropped (they
 * show nothing).
 */
function isSafeComment(data: string): boolean {
  return (
    !data.includes('--') &&
    !data.includes('<!-') &&
    !data.startsWith('>') &&
    !data.startsWith('-') &&
    !data.endsWith('-')
  );
}

const escapeText = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const escapeAttribute = (value: string) => escapeText(value).replaceAll('"', '&quot;');
/** CSS is raw text: `<` is written as the CSS escape `\3C ` (the same character in a string, inert elsewhere). */
const escapeStyle = (css: string) => css.replaceAll('<', '\\3C ');
