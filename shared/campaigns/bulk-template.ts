import { randomBytes } from 'node:crypto';
import { escapedForHtml } from '../email/email-html';
import { defaultLocale, isSupportedLocale } from '../i18n/locales';
import { type ComplianceContext, complianceCheck } from '../sending/compliance-policy';
import type { Exemption, RecipientState, Refusal } from '../sending/message-types';
import type { TokenPurpose, TokenSigner } from '../tokens';
import type { PixelMode } from '../tracking/tracking-modes';
import { campaignDraft } from './campaign-draft';
import type { Campaign } from './campaigns';
import { type Personalisation, PLACEHOLDER_EDGE, type Placeholder, placeholderValue } from './personalise';
import { everyMatchIsText } from './placeholder-contexts';
import { misplacedPlaceholderRefusals } from './placeholder-positions';

/**
 * A campaign's message as an SES template (SendBulkEmail's inline `TemplateContent`), decorated by the
 * compliance policy ONCE per variant instead of once per recipient.
 *
 * The policy decorates a stand-in recipient whose per-person values are markers: each placeholder of the
 * operator's content (`{{firstName|there}}`) and each signed token (unsubscribe, preferences, open pixel)
 * becomes `_QZ<nonce><id>QZ_`, capitals and digits between two `_` (PLACEHOLDER_EDGE), which every step
 * of the policy (HTML escaping, html-to-text, footer placement) leaves intact and which cannot occur by
 * accident (the nonce is random per template). The `_` on each side make a placeholder a word boundary
 * where the policy reads words (the promotional patterns of announcements): `{{firstName}}SALE` is read
 * as a reader named `Jo.` sees it, "SALE" a word of its own, not as one word with the marker's letters.
 * Placeholders only ever stand in text or in quoted attribute values (placeholder-positions.ts, refused
 * at creation and here), the positions where a marker and a value are written back alike.
 * The decorated parts are then translated into SES's Handlebars syntax:
 *
 * - every marker becomes a triple-stash variable (`{{{h.V0}}}` in the HTML part, `{{{x.V0}}}` in the
 *   text part): triple braces are never escaped by the renderer, so the values are escaped by us, per part
 *   (HTML-escaped for `h`, raw for `x`), and only once. A signed token is `{{{x.TU}}}` in both parts: its
 *   characters (base64url, `.`, a key id's letters, digits, `-` and `_`) are none that HTML escapes, so
 *   each destination carries it once (`destinationData` checks it);
 * - every other `{`, `}` and `\` (operator text, CSS, a name in the footer) becomes a variable holding that
 *   character (`{{{b.o}}}`), so no operator text and no recipient data is ever read as template syntax:
 *   after translation the only braces in the template are our own variables, and the values are data.
 * - the subject is the recipient's own subject, checked per recipient, as one variable `{{{s}}}`;
 * - the open pixel becomes one variable holding the `<img>` for recipients who allowed tracking and
 *   nothing for the others, so tracking consent does not split a chunk into two calls.
 *
 * What differs in wording (the footer's language, the advertisement notice) makes a separate variant and
 * a separate SendBulkEmail call, never template data: the footer placement checks that the exact words a
 * reader must see are visible in the exact HTML that is sent, which a variable could not promise.
 */

export interface BulkTemplate {
  /** The variant key (bulkVariantKey). */
  key: string;
  content: { Subject: string; Html: string; Text: string };
  /** Default template data: the escaped characters. */
  defaultData: string;
  from: string;
  replyTo: string;
  /** Tags every message of the variant carries; `messageId` is added per destination. */
  tags: Record<string, string>;
  exemption: Exemption | null;
  /** The token purposes the template signs, with the stand-in's payload (ids replaced per recipient). */
  signed: Map<string, { purpose: TokenPurpose; payload: Record<string, unknown> }>;
  placeholders: Placeholder[];
  /** The pixel `<img>` with its token marker, when the template has one. */
  pixel: string | null;
  /** The tracking mode the pixel was placed under, when there is one (recorded on each message). */
  pixelMode: PixelMode | null;
  /**
   * Whether every placeholder of the HTML part is text of an ordinary element (placeholder-contexts.ts):
   * then no value can change what the policy checked here, and the body is checked once for everyone;
   * otherwise each recipient's own copy goes through the whole policy too (send-chunk.ts).
   */
  placeholdersAsText: boolean;
  marker: (id: string) => string;
}

export type BulkTemplateResult = { ok: true; template: BulkTemplate } | { ok: false; refusals: Refusal[] };

/**
 * Recipients whose decoration is the same up to per-person values share a variant: what the decoration
 * reads about a recipient besides ids and address (locale, the consent's affirmativeness, the list) is in
 * the key, except tracking consent, which only adds or removes the pixel (a template variable).
 */
export function bulkVariantKey(recipient: RecipientState): string {
  const locale = isSupportedLocale(recipient.locale) ? recipient.locale : defaultLocale;
  return JSON.stringify([
    locale,
    recipient.subscription?.affirmative ?? null,
    recipient.list?.listId ?? null,
    recipient.list?.name ?? null,
    recipient.list?.trackingMode ?? null,
  ]);
}

const TOKEN_IDS: Record<string, string> = { unsubscribe: 'TU', preferences: 'TP', trackOpen: 'TO' };
const STAND_IN_MESSAGE = 'TEMPLATE';

/** The campaign's template for recipients like `like` (any recipient of the variant). */
export function buildBulkTemplate(
  campaign: Campaign,
  like: RecipientState,
  context: ComplianceContext,
): BulkTemplateResult {
  const misplaced = misplacedPlaceholderRefusals(campaign);
  if (misplaced.length > 0) return { ok: false, refusals: misplaced };
  const nonce = randomBytes(6).toString('hex').toUpperCase();
  const marker = (id: string) => `${PLACEHOLDER_EDGE}QZ${nonce}${id}QZ${PLACEHOLDER_EDGE}`;
  const placeholders: Placeholder[] = [];
  const placeholderId = (placeholder: Placeholder) => {
    let index = placeholders.findIndex(
      (known) => known.name === placeholder.name && known.fallback === placeholder.fallback,
    );
    if (index < 0) index = placeholders.push(placeholder) - 1;
    return `V${index}`;
  };
  const draft = campaignDraft(campaign, like, (placeholder) => marker(placeholderId(placeholder)));
  const signed: BulkTemplate['signed'] = new Map();
  const markerSigner: TokenSigner = {
    sign(purpose, data) {
      const id = TOKEN_IDS[purpose];
      if (id === undefined) throw new TypeError(`bulk template: unexpected token purpose ${purpose}`);
      signed.set(id, { purpose, payload: { ...data } });
      return marker(id);
    },
    verify() {
      throw new TypeError('bulk template: the stand-in signer only signs');
    },
  };
  // The stand-in allows tracking whenever the list and the campaign do: the pixel becomes a variable
  // (on an aggregate list every recipient gets it; on a per-person list, those who allowed tracking).
  const standIn: RecipientState = { ...like, trackingConsent: true };
  const decision = complianceCheck(
    draft,
    standIn,
    { messageId: marker(STAND_IN_MESSAGE), campaignId: campaign.campaignId },
    { ...context, tokens: markerSigner },
  );
  if (!decision.allowed) return { ok: false, refusals: decision.refusals };
  const { message } = decision;
  const pixelPattern = new RegExp(`<img\\b[^>]*${marker('TO')}[^>]*>`, 'g');
  const pixels = message.html.match(pixelPattern) ?? [];
  if (pixels.length > 1) throw new Error('bulk template: more than one open pixel');
  const html = message.html.replace(pixelPattern, marker('PX'));
  const content = {
    Subject: '{{{s}}}',
    Html: translate(html, 'h', nonce),
    Text: translate(message.text, 'x', nonce),
  };
  // Each destination carries the pixel's token only inside PX (destinationData).
  if (`${content.Html}${content.Text}`.includes('.TO}}}')) {
    throw new Error("bulk template: the open pixel's token outside its <img>");
  }
  const { messageId: _perDestination, ...tags } = message.tags;
  const template: BulkTemplate = {
    key: bulkVariantKey(like),
    content,
    defaultData: JSON.stringify({ b: { o: '{', c: '}', s: '\\' } }),
    from: message.from,
    replyTo: message.replyTo,
    tags,
    exemption: decision.exemption,
    signed,
    placeholders,
    pixel: pixels[0] ?? null,
    pixelMode: pixels.length > 0 ? (message.trackingMode ?? null) : null,
    placeholdersAsText: everyMatchIsText(html, new RegExp(`QZ${nonce}V[0-9]+QZ`, 'g')),
    marker,
  };
  return { ok: true, template };
}

const ESCAPED: Record<string, string> = { '{': '{{{b.o}}}', '}': '{{{b.c}}}', '\\': '{{{b.s}}}' };

const SIGNED_IDS = new Set(Object.values(TOKEN_IDS));

/**
 * One decorated part in Handlebars: markers become variables of `form` (signed tokens, the same in both
 * parts, always of `x`); braces and backslashes, data.
 */
function translate(part: string, form: 'h' | 'x', nonce: string): string {
  const markers = new RegExp(`${PLACEHOLDER_EDGE}QZ${nonce}([A-Z0-9]+?)QZ${PLACEHOLDER_EDGE}`, 'g');
  let out = '';
  let last = 0;
  for (const match of part.matchAll(markers)) {
    const id = match[1] as string;
    out += escapeLiteral(part.slice(last, match.index));
    out += `{{{${SIGNED_IDS.has(id) ? 'x' : form}.${id}}}}`;
    last = match.index + match[0].length;
  }
  out += escapeLiteral(part.slice(last));
  if (out.includes(nonce)) throw new Error('bulk template: a marker was altered by the decoration');
  return out;
}

const escapeLiteral = (text: string) => text.replace(/[{}\\]/g, (character) => ESCAPED[character] ?? '');

export interface BulkDestination {
  contactId: string;
  messageId: string;
  /** The recipient's subject as sent (checked per recipient by the policy's recipient rules). */
  subject: string;
  personalisation: Personalisation;
  tracked: boolean;
}

/** What a signed token is made of (shared/tokens.ts: key id, base64url payload and signature). */
const TOKEN_TEXT = /^[A-Za-z0-9_.-]+$/;

/** The `ReplacementTemplateData` of one destination: every value escaped for the part it lands in. */
export function destinationData(
  template: BulkTemplate,
  destination: BulkDestination,
  tokens: Pick<TokenSigner, 'sign'>,
): string {
  const h: Record<string, string> = {};
  const x: Record<string, string> = {};
  template.placeholders.forEach((placeholder, index) => {
    const value = placeholderValue(placeholder, destination.personalisation);
    h[`V${index}`] = escapedForHtml(value);
    x[`V${index}`] = value;
  });
  let pixelToken = '';
  for (const [id, { purpose, payload }] of template.signed) {
    if (id === 'TO' && !destination.tracked) continue;
    const own = { ...payload, messageId: destination.messageId };
    if ('contactId' in own) own.contactId = destination.contactId;
    const token = tokens.sign(purpose, own as never);
    // Sent once for both parts (translate): only right while HTML escaping leaves a token as it is.
    if (!TOKEN_TEXT.test(token)) throw new Error('bulk template: a token with characters HTML escapes');
    // The pixel's token is only ever inside the pixel's `<img>`, the variable PX.
    if (id === 'TO') pixelToken = token;
    else x[id] = token;
  }
  h.PX =
    destination.tracked && template.pixel !== null
      ? template.pixel.replace(template.marker('TO'), pixelToken)
      : '';
  return JSON.stringify({ s: destination.subject, h, x });
}
