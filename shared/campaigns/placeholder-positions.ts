import { createHash } from 'node:crypto';
import { Parser, parseDocument } from 'htmlparser2';
import { renderBalanced } from '../email/balanced-html';
import type { Refusal } from '../sending/message-types';
import type { CampaignContent } from './campaigns';
import { fillPlaceholders } from './personalise';

/**
 * Where a placeholder may stand in a campaign's HTML part: in text, or inside a quoted attribute value
 * (docs/campaigns.md, "Where a placeholder may stand"). Anywhere else the campaign is refused when it is
 * created (preflight.ts, for campaigns and announcements alike) and, should one be stored anyway, by the
 * worker's template (bulk-template.ts) for every recipient, because there it is either never filled or
 * filled into something a recipient's value can rewrite:
 *
 * - a tag's or an attribute's name (`<div {{firstName}}>`): the HTML is written back with names in lower
 *   case (balanced-html.ts), so the template's marker is lowered too and never replaced by the value;
 * - an unquoted attribute value (`style=color:{{name}}`): a value with a space ends the attribute in a
 *   personalised copy (so that copy is the one checked) while the template, written back quoted, keeps
 *   the whole value (`Red ;display:none`) in it, and that is the copy sent;
 * - a comment, Outlook's conditional ones too: a value is escaped for HTML, not for a comment, so one
 *   ending in `--!` before the operator's `>` ends the comment early in a browser;
 * - a `<script>`, a declaration or processing instruction (`<!…>`, `<?…?>`), an end tag, an attribute
 *   whose name we do not write: dropped from every copy, so the placeholder does nothing.
 *
 * Text (an element's, `<style>`'s, `<title>`'s) and quoted values hold an HTML-escaped value without
 * changing how the HTML around it parses; whether the value can change what the footer check sees there
 * is placeholder-contexts.ts's question.
 */

export interface MisplacedPlaceholder {
  /** As the operator wrote it, `{{firstName|there}}`. */
  placeholder: string;
  where: string;
}

const WHERE = {
  tagName: 'in a tag’s name',
  attributeName: 'in a tag’s list of attributes, as an attribute’s name',
  unquotedValue:
    'in an unquoted attribute value, where a value with a space would end the attribute; quote the value',
  comment: 'in a comment, where a value such as `--!` can end the comment early',
  script: 'in a <script>, which is never sent',
  declaration: 'in a declaration or processing instruction (<!…>, <?…?>), which is never sent',
  dropped: 'where the message never carries it (an end tag, an attribute that is not written)',
} as const;

/** Every placeholder of `html` that stands neither in text nor in a quoted attribute value. */
export function misplacedPlaceholders(html: string): MisplacedPlaceholder[] {
  const written: string[] = [];
  // Letters and digits, as a name would mostly be, derived from the HTML so that it cannot be in it.
  const nonce = createHash('sha256').update(html).digest('hex').slice(0, 12);
  const marker = (index: number) => `QZ${nonce}P${index}QZ`;
  const marked = fillPlaceholders(html, (_, writtenAs) => marker(written.push(writtenAs) - 1));
  if (written.length === 0) return [];
  const found = new Map<number, string>();
  const seen = new RegExp(`QZ${nonce}P([0-9]+)QZ`, 'gi');
  const flag = (text: string, where: string) => {
    for (const match of text.matchAll(seen)) {
      const index = Number(match[1]);
      if (!found.has(index)) found.set(index, where);
    }
  };
  readPositions(marked, flag);
  // Whatever is not read as a misplaced position but is still not written back intact was dropped.
  const sent = renderBalanced(parseDocument(marked).children);
  written.forEach((_, index) => {
    if (!sent.includes(marker(index))) flag(marker(index), WHERE.dropped);
  });
  return [...found]
    .sort(([a], [b]) => a - b)
    .map(([index, where]) => ({
      placeholder: written[index] ?? '',
      where,
    }));
}

/** Flags each markup position of `html` that is not text or a quoted value, as htmlparser2 reads it. */
function readPositions(html: string, flag: (text: string, where: string) => void): void {
  let inScript = 0;
  const parser = new Parser({
    onopentagname(name) {
      flag(name, WHERE.tagName);
      if (name === 'script') inScript += 1;
    },
    onclosetag(name) {
      flag(name, WHERE.tagName);
      if (name === 'script' && inScript > 0) inScript -= 1;
    },
    onattribute(name, value, quote) {
      flag(name, WHERE.attributeName);
      if (quote === null) flag(value, WHERE.unquotedValue);
    },
    ontext(text) {
      if (inScript > 0) flag(text, WHERE.script);
    },
    oncomment(text) {
      flag(text, WHERE.comment);
    },
    onprocessinginstruction(_, text) {
      flag(text, WHERE.declaration);
    },
  });
  parser.end(html);
}

/**
 * Verdicts by HTML part, for the life of the process. The worker builds a template per variant of a
 * campaign (template-cache.ts: per locale, consent and list) and each build asks about the same content,
 * which does not change once the campaign runs; a parse of a 70 KB part takes a few milliseconds. Keyed by
 * the part itself, so the verdict is of exactly the text checked; a few campaigns' parts are kept.
 */
const MAX_VERDICTS = 16;
const verdicts = new Map<string, readonly MisplacedPlaceholder[]>();

function misplacedPlaceholdersOnce(html: string): readonly MisplacedPlaceholder[] {
  const known = verdicts.get(html);
  if (known !== undefined) return known;
  const found = Object.freeze(misplacedPlaceholders(html).map((misplaced) => Object.freeze(misplaced)));
  if (verdicts.size >= MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(html, found);
  return found;
}

/**
 * The refusals of a campaign's content for placeholders its HTML parts hold where they cannot stand, with
 * each part's path (`html`, `content.fr.html`). The one check of creation and of the worker's template,
 * run once per part's text in a process (`misplacedPlaceholdersOnce`).
 */
export function misplacedPlaceholderRefusals(content: CampaignContent): Refusal[] {
  const parts: [string, string | null][] = [
    ['html', content.html],
    ...Object.entries(content.versions ?? {}).map(([locale, version]): [string, string | null] => [
      `content.${locale}.html`,
      version?.html ?? null,
    ]),
  ];
  return parts.flatMap(([field, html]) =>
    html === null
      ? []
      : misplacedPlaceholdersOnce(html).map(({ placeholder, where }) => ({
          code: 'misplaced_placeholder' as const,
          message: `${placeholder} is ${where}. In the HTML part a placeholder may stand only in text or inside a quoted attribute value (class="{{firstName}}").`,
          field,
        })),
  );
}
