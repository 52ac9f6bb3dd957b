import { compile } from 'html-to-text';
import { paragraphsToHtml } from '../email/email-html';
import { placeFooter } from '../email/footer-placement';
import { formatAddress } from '../email/mailer';
import { draftIn, draftLocales, versionLocale } from './draft-versions';
import { appendToText } from './footer';
import type {
  DecoratedMessage,
  MessageDraft,
  MessageIdentity,
  PolicyDecision,
  RecipientState,
  Refusal,
} from './message-types';
import { announcementPolicy } from './policy/announcement';
import { contentRefusals, draftContent } from './policy/content';
import { headerRefusals } from './policy/headers';
import {
  type ComplianceContext,
  type Decoration,
  type KindPolicies,
  type KindPolicy,
  type PolicyInput,
  recipientLocale,
} from './policy/kind-policy';
import { marketingPolicy } from './policy/marketing';
import { transactionalPolicy } from './policy/transactional';
import { sanitiseTagValue } from './ses-tags';

/**
 * The compliance policy: the one gate every message passes before SES (handbook promises 2 and 3).
 * A pure function: draft, recipient state and identity in; either a decorated message (headers, footer,
 * tags, optional pixel) with the exemption it relies on, or every refusal that applies, each with a
 * stable code. No I/O and no clock; signing tokens is deterministic.
 *
 * Each kind of message has its own policy in policy/: who may receive it and what its content may not
 * say (its refusal rules), and how an allowed message is dressed (its decoration). The rules of every
 * kind (subject, body, headers) are in policy/content.ts and policy/headers.ts.
 */

export type { ComplianceContext } from './policy/kind-policy';

const kindPolicies: KindPolicies = {
  marketing: marketingPolicy,
  announcement: announcementPolicy,
  transactional: transactionalPolicy,
};

export { sanitiseTagValue };

/**
 * Headings and table header cells keep their case (html-to-text capitalises them by default): a campaign's
 * bulk template converts the text with its placeholders' markers in place and fills names in after, so a
 * capitalised heading would read "DEAR Ada" there and "DEAR ADA" in a single send of the same message.
 */
const KEEP_CASE = [
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
  { selector: 'table', options: { uppercaseHeaderCells: false } },
];

/** Compiled on first use, not per call (`convert` compiles its options every time), nor at cold start. */
let toText: ((html: string) => string) | undefined;

export function htmlToText(html: string): string {
  toText ??= compile({ wordwrap: 78, selectors: KEEP_CASE });
  return toText(html);
}

/** The recipient's own version of the draft, as the kind's policy judges it. */
function judged(
  draft: MessageDraft,
  recipient: RecipientState,
  identity: MessageIdentity,
  context: ComplianceContext,
) {
  const own = draftIn(draft, recipientLocale(recipient));
  const input: PolicyInput = { draft: own, recipient, identity, context, content: draftContent(own) };
  return { input, judgement: policyOf(own)(input) };
}

export function complianceCheck(
  draft: MessageDraft,
  recipient: RecipientState,
  identity: MessageIdentity,
  context: ComplianceContext,
): PolicyDecision {
  const { input, judgement } = judged(draft, recipient, identity, context);
  // In this order: who may receive it, what every message must say, what this kind may not, the headers,
  // then the same content rules for every other language's version.
  const refusals = [
    ...judgement.recipientRefusals,
    ...contentRefusals(input.content),
    ...judgement.contentRefusals,
    ...headerRefusals(input.content, recipient.email, judgement.ourHeaders, judgement.ourHeaderCount),
    ...otherVersionRefusals(draft, input),
  ];
  if (judgement.decorate === null || refusals.length > 0) return { allowed: false, refusals };
  return decorated(input, judgement.ourHeaders, judgement.decorate());
}

/**
 * The rules about one recipient and one message's envelope, without reading or decorating its body: who
 * may receive it (the kind's recipient rules), the subject and body presence, and every header (ours
 * included). The campaign worker runs these per recipient, with the recipient's own subject, and runs the
 * whole policy once per template variant, whose decoration every recipient of the variant shares
 * (shared/campaigns/bulk-template.ts); complianceCheck is both at once.
 */
export interface RecipientRules {
  refusals: Refusal[];
  /** The headers we add for this recipient (List-Unsubscribe for marketing). */
  ourHeaders: DecoratedMessage['headers'];
  subject: string;
}

export function recipientRules(
  draft: MessageDraft,
  recipient: RecipientState,
  identity: MessageIdentity,
  context: ComplianceContext,
): RecipientRules {
  const { input, judgement } = judged(draft, recipient, identity, context);
  const refusals = [
    ...judgement.recipientRefusals,
    ...contentRefusals(input.content),
    ...headerRefusals(input.content, recipient.email, judgement.ourHeaders, judgement.ourHeaderCount),
  ];
  return { refusals, ourHeaders: judgement.ourHeaders, subject: input.content.subject };
}

/**
 * The content rules (subject, body, the kind's own: promotional wording in an announcement…) applied to
 * every version the recipient does not get, so that a deceptive `fr` subject is refused for an `en`
 * reader too: a campaign's versions are all checked whoever the first recipient is. Fields are named
 * `content.<locale>.<field>`.
 */
function otherVersionRefusals(draft: MessageDraft, own: PolicyInput): Refusal[] {
  const sent = versionLocale(draft, recipientLocale(own.recipient));
  return draftLocales(draft)
    .filter((locale) => locale !== sent)
    .flatMap((locale) => {
      const version = draftIn(draft, locale);
      const content = { ...draftContent(version), headers: [] };
      const input: PolicyInput = { ...own, draft: version, content };
      const subjectRules = headerRefusals(content, own.recipient.email, [], 0).filter(
        (refusal) => refusal.field === 'subject',
      );
      return [...contentRefusals(content), ...policyOf(version)(input).contentRefusals, ...subjectRules].map(
        (refusal) => ({
          ...refusal,
          field: refusal.field === undefined ? `content.${locale}` : `content.${locale}.${refusal.field}`,
        }),
      );
    });
}

/** A kind outside `messageKinds` can only come from a caller that skipped validation: a bug, not a refusal. */
function policyOf(draft: MessageDraft): KindPolicy {
  if (!Object.hasOwn(kindPolicies, draft.kind)) {
    throw new TypeError(`Unknown message kind: ${String((draft as { kind: unknown }).kind)}`);
  }
  return kindPolicies[draft.kind];
}

function decorated(
  input: PolicyInput,
  ourHeaders: DecoratedMessage['headers'],
  decoration: Decoration,
): PolicyDecision {
  const { draft, recipient, identity, context, content } = input;
  const text = content.text ?? (content.html === undefined ? '' : htmlToText(content.html));
  const html = content.html ?? paragraphsToHtml(text).toString();
  const placement = placeFooter(html, decoration.footer.html + decoration.pixel);
  if (!placement.placed) return { allowed: false, refusals: [footerNotVisible(placement.reason)] };
  const tags = Object.fromEntries(
    Object.entries({
      messageId: identity.messageId,
      ...(identity.contactId === undefined ? {} : { contactId: identity.contactId }),
      kind: draft.kind,
      ...(identity.campaignId === undefined ? {} : { campaignId: identity.campaignId }),
      ...decoration.tag,
    }).map(([name, value]) => [name, sanitiseTagValue(value)]),
  );
  const message: DecoratedMessage = {
    from: formatAddress(context.sender.fromName, context.sender.fromAddress),
    replyTo: context.sender.replyTo,
    to: recipient.email,
    subject: content.subject,
    html: placement.html,
    text: appendToText(text, decoration.footer.text),
    headers: [...ourHeaders, ...content.headers.map(({ name, value }) => ({ name, value }))],
    tags,
    tracked: decoration.pixel !== '',
    ...(decoration.pixel !== '' && decoration.pixelMode !== undefined
      ? { trackingMode: decoration.pixelMode }
      : {}),
  };
  return { allowed: true, message, exemption: decoration.exemption };
}

function footerNotVisible(reason: string): Refusal {
  return {
    code: 'footer_not_visible',
    message: `The footer (who sends it, the postal address, the unsubscribe and preference links, the advertisement notice) must be visible wherever the message is read, and this HTML would not show it: ${reason}.`,
    field: 'html',
  };
}
