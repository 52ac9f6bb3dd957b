import { DomUtils, parseDocument } from 'htmlparser2';

/**
 * Where a campaign's placeholders sit in its decorated HTML, as far as it decides whether checking the
 * template once stands for checking every recipient's copy (docs/campaigns.md, "One check per variant").
 *
 * A value (a name, HTML-escaped) in the text of an ordinary element is a text node and nothing else:
 * escaping leaves it no `<` or `&` of its own, so it opens, closes and styles nothing, and no CSS rule
 * reads text. Anywhere else the same escaped value is read as more than text: in a quoted attribute value
 * (a `class` a hiding rule matches, a `style` with `display:none`) or in CSS. There, what a recipient sees
 * depends on their value, and the template's check cannot speak for them. (Names, unquoted values,
 * comments and scripts never hold a placeholder: placeholder-positions.ts refuses them first.)
 */

/** Elements whose content a browser does not show as plain text, or may read as something else. */
const NOT_PLAIN_TEXT = new Set(
  'iframe math noembed noframes noscript plaintext script style svg template textarea title xmp'.split(' '),
);

type DomNode = ReturnType<typeof parseDocument>['children'][number];

/** Whether every match of `marker` (a global pattern) in `html` is in the text of an ordinary element. */
export function everyMatchIsText(html: string, marker: RegExp): boolean {
  const total = html.match(marker)?.length ?? 0;
  if (total === 0) return true;
  const document = parseDocument(html);
  let asText = 0;
  for (const node of DomUtils.filter(DomUtils.isText, document.children, true)) {
    if (DomUtils.isText(node) && inOrdinaryElement(node)) asText += node.data.match(marker)?.length ?? 0;
  }
  return asText === total;
}

function inOrdinaryElement(node: DomNode): boolean {
  for (let parent = node.parent; parent !== null; parent = parent.parent) {
    if (DomUtils.isTag(parent) && NOT_PLAIN_TEXT.has(parent.name)) return false;
  }
  return true;
}
