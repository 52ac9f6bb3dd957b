import { convert } from 'html-to-text';
import { placeFooter } from '../email/footer-placement';
import { paragraphsToHtml } from '../email/html-text';
import { formatAddress } from '../email/mailer';
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
import type {
  ComplianceContext,
  Decoration,
  KindPolicies,
  KindPolicy,
  PolicyInput,
} from './policy/kind-policy';
import { marketingPolicy } from './policy/marketing';
import { transactionalPolicy } from './policy/transactional';

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

/** SES tag values allow `[A-Za-z0-9_-]` only, 256 characters at most. */
export function sanitiseTagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
}

export function htmlToText(html: string): string {
  return convert(html, { wordwrap: 78 });
}

export function complianceCheck(
  draft: MessageDraft,
  recipient: RecipientState,
  identity: MessageIdentity,
  context: ComplianceContext,
): PolicyDecision {
  const input: PolicyInput = { draft, recipient, identity, context, content: draftContent(draft) };
  const judgement = policyOf(draft)(input);
  // In this order: who may receive it, what every message must say, what this kind may not, the headers.
  const refusals = [
    ...judgement.recipientRefusals,
    ...contentRefusals(input.content),
    ...judgement.contentRefusals,
    ...headerRefusals(input.content, recipient.email, judgement.ourHeaders, judgement.ourHeaderCount),
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
  const input: PolicyInput = { draft, recipient, identity, context, content: draftContent(draft) };
  const judgement = policyOf(draft)(input);
  const refusals = [
    ...judgement.recipientRefusals,
    ...contentRefusals(input.content),
    ...headerRefusals(input.content, recipient.email, judgement.ourHeaders, judgement.ourHeaderCount),
  ];
  return { refusals, ourHeaders: judgement.ourHeaders, subject: input.content.subject };
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
  const html = content.html ?? paragraphsToHtml(text);
  const placement = placeFooter(html, decoration.footer.html + decoration.pixel);
  if (!placement.placed) return { allowed: false, refusals: [footerNotVisible(placement.reason)] };
  const tags = Object.fromEntries(
    Object.entries({
      messageId: identity.messageId,
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
