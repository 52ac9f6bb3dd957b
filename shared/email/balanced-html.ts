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

export interface RenderOptions {
  /** Attributes left out wherever they appear (a marker only we may set). */
  omitAttribute?: string;
}

export function renderBalanced(nodes: readonly DomNode[], options: RenderOptions = {}): string {
  return nodes.map((node) => renderNode(node, options)).join('');
}

function renderNode(node: DomNode, options: RenderOptions): string {
  if (DomUtils.isText(node)) return escapeText(node.data);
  if (DomUtils.isComment(node)) return isSafeComment(node.data) ? `<!--${node.data}-->` : '';
  if (DomUtils.isTag(node)) return renderElement(node, options);
  if (node.type === 'directive' && 'data' in node && DOCTYPE.test(node.data)) return `<${node.data}>`;
  return 'children' in node ? renderBalanced(node.children, options) : '';
}

function renderElement(element: Extract<DomNode, { attribs: unknown }>, options: RenderOptions): string {
  const name = element.name.toLowerCase();
  if (DROPPED_ELEMENTS.has(name)) return '';
  const children =
    name === 'style'
      ? element.children.map((child) => (DomUtils.isText(child) ? escapeStyle(child.data) : '')).join('')
      : renderBalanced(element.children, options);
  if (!TAG_NAME.test(name)) return children;
  const attributes = Object.entries(element.attribs)
    .filter(([attribute]) => ATTRIBUTE_NAME.test(attribute) && attribute !== options.omitAttribute)
    .map(([attribute, value]) => ` ${attribute}="${escapeAttribute(value)}"`)
    .join('');
  // A void element's children (htmlparser2 gives `bgsound` some) become its following siblings.
  return VOID_ELEMENTS.has(name)
    ? `<${name}${attributes}>${children}`
    : `<${name}${attributes}>${children}</${name}>`;
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
