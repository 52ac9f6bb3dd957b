import { convert } from 'html-to-text';
import type { SenderIdentity } from '../config';
import { placeFooter } from '../email/footer-placement';
import { paragraphsToHtml } from '../email/html-text';
import { formatAddress } from '../email/mailer';
import { type UnsubscribeLinks, unsubscribeLinks } from '../email/unsubscribe-links';
import { visibleContent } from '../email/visible-text';
import { defaultLocale, isSupportedLocale, type Locale } from '../i18n/locales';
import { openStatuses } from '../rights/rights-request-rules';
import type { TokenSigner } from '../tokens';
import {
  isHeaderSafe,
  isOpaqueId,
  looksLikeReplyOrForward,
  MAX_HEADER_VALUE_LENGTH,
  subjectAsSent,
} from '../validation/schemas';
import { findPromotion, judgeAnnouncementContent } from './announcement-content';
import {
  announcementFooter,
  appendToText,
  type Footer,
  marketingFooter,
  openTrackingPixel,
  transactionalFooter,
} from './footer';
import {
  type AnnouncementCategory,
  announcementCategories,
  type DecoratedMessage,
  type Exemption,
  type MessageDraft,
  type MessageHeader,
  type MessageIdentity,
  type PolicyDecision,
  type RecipientState,
  type Refusal,
  type TransactionalPurpose,
  transactionalPurposes,
  undeliverableReasons,
} from './message-types';

/**
 * The compliance policy: the one gate every message passes before SES (handbook promises 2 and 3).
 * A pure function: draft, recipient state and identity in; either a decorated message (headers, footer,
 * tags, optional pixel) with the exemption it relies on, or every refusal that applies, each with a
 * stable code. No I/O and no clock; signing tokens is deterministic.
 */

export interface ComplianceContext {
  sender: SenderIdentity;
  /** Public base URL without a trailing slash. */
  baseUrl: string;
  tokens: TokenSigner;
}

/** SES v2 accepts at most 15 custom headers per message. */
export const MAX_CUSTOM_HEADERS = 15;
export { MAX_HEADER_VALUE_LENGTH };
/** SES v2 `MessageHeader.Name` length limit. */
export const MAX_HEADER_NAME_LENGTH = 126;

/** Headers only we (or SES) write; a caller may not set them, in any letter case. */
export const reservedHeaderNames = [
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Id',
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Bcc',
  'Subject',
  'Date',
  'Message-ID',
  'Return-Path',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'DKIM-Signature',
  // Threading headers would make a new message pose as a reply, the same deception as a fake "RE:".
  'In-Reply-To',
  'References',
  'Thread-Topic',
  'Thread-Index',
  'Original-From',
  'Errors-To',
] as const;
const reservedLowerCase = new Set(reservedHeaderNames.map((name) => name.toLowerCase()));
/** SES's own control headers are never the caller's to set. */
const isReservedHeader = (name: string) =>
  reservedLowerCase.has(name.toLowerCase()) || name.toLowerCase().startsWith('x-ses-');

const ANNOUNCEMENT_EXEMPTION_REASON =
  'account holder: service announcements are exempt from marketing opt-outs';

/** RFC 5322 field name: one or more printable ASCII characters (33–126) other than `:`. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 33 || code > 126 || code === 58) return false;
  }
  return true;
}

const nonBlank = (value: string | undefined): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

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
  const refusals: Refusal[] = [];
  const subject = subjectAsSent(draft.subject);
  const callerHtml = nonBlank(draft.html);
  const callerText = nonBlank(draft.text);
  const textFromHtml = callerHtml === undefined ? undefined : htmlToText(callerHtml);
  const callerHeaders = draft.headers ?? [];

  // Who may receive it, per kind.
  let links: UnsubscribeLinks | null = null;
  let listId: string | undefined;
  let category: AnnouncementCategory | undefined;
  let purpose: TransactionalPurpose | undefined;
  switch (draft.kind) {
    case 'marketing': {
      listId = draft.listId !== undefined && isOpaqueId(draft.listId) ? draft.listId : undefined;
      refusals.push(...marketingRefusals(draft, recipient, listId));
      if (listId !== undefined) {
        assertOpaqueIds(recipient, identity);
        links = unsubscribeLinks(
          {
            baseUrl: context.baseUrl,
            unsubscribeMailbox: context.sender.unsubscribeMailbox,
            tokens: context.tokens,
          },
          {
            contactId: recipient.contactId,
            listId,
            messageId: identity.messageId,
            ...(identity.campaignId === undefined ? {} : { campaignId: identity.campaignId }),
          },
        );
      }
      break;
    }
    case 'announcement': {
      category = isOneOf(announcementCategories, draft.category) ? draft.category : undefined;
      refusals.push(...announcementRefusals(recipient, category));
      break;
    }
    case 'transactional': {
      purpose = isOneOf(transactionalPurposes, draft.purpose) ? draft.purpose : undefined;
      refusals.push(...transactionalRefusals(recipient, purpose));
      if (purpose === 'data-request') refusals.push(...dataRequestRefusals(draft, recipient));
      break;
    }
    default:
      throw new TypeError(`Unknown message kind: ${String((draft as { kind: unknown }).kind)}`);
  }

  // Content, every kind.
  if (subject === '') {
    refusals.push({ code: 'empty_subject', message: 'The subject must not be empty.', field: 'subject' });
  } else if (looksLikeReplyOrForward(subject)) {
    refusals.push({
      code: 'deceptive_subject',
      message:
        'The subject starts like a reply or a forward (RE:, FW:, Fwd:, TR:, AW:, SV:, WG:); our messages are never replies, so this would deceive the recipient (CAN-SPAM).',
      field: 'subject',
    });
  }
  if (callerHtml === undefined && callerText === undefined) {
    refusals.push({ code: 'body_required', message: 'Give an html part, a text part or both.' });
  }

  // Promotion or hidden content in an announcement (announcement-content.ts).
  let promotionalOverride: { reason: string } | undefined;
  if (draft.kind === 'announcement') {
    const judged = judgeAnnouncementContent(
      { subject, text: callerText, html: callerHtml },
      draft.promotionalOverride?.reason,
    );
    refusals.push(...judged.refusals);
    promotionalOverride = judged.promotionalOverride;
  }

  // Promotion in a data-request email: no override, it answers the person's request and nothing else.
  if (purpose === 'data-request') {
    const visibleHtmlText = callerHtml === undefined ? undefined : visibleContent(callerHtml).text;
    const matches = findPromotion({ subject, text: callerText, visibleHtmlText });
    if (matches !== null) {
      refusals.push({
        code: 'promotional_data_request',
        message: `A data-request email answers the person's request and must not promote anything; this one looks promotional (${matches.terms
          .map((term) => `"${term}"`)
          .join(', ')}).`,
        field: matches.field,
      });
    }
  }

  // Headers, every kind: the caller's and ours.
  refusals.push(...headerRefusals(subject, recipient.email, callerHeaders, links?.headers ?? []));
  const ourHeaderCount = draft.kind === 'marketing' ? 2 : 0;
  const headerCount = callerHeaders.length + ourHeaderCount;
  if (headerCount > MAX_CUSTOM_HEADERS) {
    refusals.push({
      code: 'too_many_headers',
      message: `The message would carry ${headerCount} custom headers (${callerHeaders.length} given${
        ourHeaderCount > 0 ? ` plus our ${ourHeaderCount} List-Unsubscribe headers` : ''
      }); SES allows at most ${MAX_CUSTOM_HEADERS}.`,
      field: 'headers',
    });
  }

  if (refusals.length > 0) return { allowed: false, refusals };

  // Decoration.
  const locale: Locale = isSupportedLocale(recipient.locale) ? recipient.locale : defaultLocale;
  const sender = context.sender;
  let footer: Footer;
  let pixel = '';
  let exemption: Exemption | null;
  let kindTag: Record<string, string>;
  if (draft.kind === 'marketing' && links !== null && listId !== undefined) {
    const list = recipient.list?.listId === listId ? recipient.list : null;
    footer = marketingFooter({
      locale,
      listName: list?.name ?? listId,
      unsubscribeUrl: links.oneClickUrl,
      preferencesUrl: links.preferencesUrl,
      sender,
      advertisement: recipient.subscription?.affirmative === false || draft.advertisement === true,
    });
    if (
      callerHtml !== undefined &&
      draft.tracking !== false &&
      recipient.trackingConsent &&
      list?.trackingAllowedByDefault === true
    ) {
      const token = context.tokens.sign('trackOpen', {
        contactId: recipient.contactId,
        messageId: identity.messageId,
      });
      pixel = openTrackingPixel(`${context.baseUrl}/v1/pixel?token=${token}`);
    }
    exemption = null;
    kindTag = { listId };
  } else if (draft.kind === 'announcement' && category !== undefined) {
    footer = announcementFooter({ locale, category, sender });
    exemption = {
      type: 'service-announcement',
      category,
      reason: ANNOUNCEMENT_EXEMPTION_REASON,
      ...(promotionalOverride === undefined ? {} : { promotionalOverride }),
    };
    kindTag = { category };
  } else if (draft.kind === 'transactional' && purpose !== undefined) {
    footer = transactionalFooter({ locale, sender, referral: purpose === 'referral' });
    exemption = {
      type: 'transactional',
      purpose,
      ...(purpose === 'data-request' && draft.rightsRequestId !== undefined
        ? { rightsRequestId: draft.rightsRequestId }
        : {}),
    };
    kindTag = { purpose };
  } else {
    throw new Error('complianceCheck: unreachable decoration state');
  }

  const text = callerText ?? textFromHtml ?? '';
  const html = callerHtml ?? paragraphsToHtml(text);
  const headers: MessageHeader[] = [
    ...(links?.headers ?? []),
    ...callerHeaders.map(({ name, value }) => ({ name, value })),
  ];
  const tags = Object.fromEntries(
    Object.entries({
      messageId: identity.messageId,
      kind: draft.kind,
      ...(identity.campaignId === undefined ? {} : { campaignId: identity.campaignId }),
      ...kindTag,
    }).map(([name, value]) => [name, sanitiseTagValue(value)]),
  );
  const placement = placeFooter(html, footer.html + pixel);
  if (!placement.placed) return { allowed: false, refusals: [footerNotVisible(placement.reason)] };
  const message: DecoratedMessage = {
    from: formatAddress(sender.fromName, sender.fromAddress),
    replyTo: sender.replyTo,
    to: recipient.email,
    subject,
    html: placement.html,
    text: appendToText(text, footer.text),
    headers,
    tags,
    tracked: pixel !== '',
  };
  return { allowed: true, message, exemption };
}

function footerNotVisible(reason: string): Refusal {
  return {
    code: 'footer_not_visible',
    message: `The footer (who sends it, the postal address, the unsubscribe and preference links, the advertisement notice) must be visible wherever the message is read, and this HTML would not show it: ${reason}.`,
    field: 'html',
  };
}

function isOneOf<T extends string>(values: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (values as readonly string[]).includes(value);
}

/** Our own ids must already be opaque ids; anything else is a bug in the caller, not a policy refusal. */
function assertOpaqueIds(recipient: RecipientState, identity: MessageIdentity): void {
  const ids = {
    contactId: recipient.contactId,
    messageId: identity.messageId,
    campaignId: identity.campaignId,
  };
  for (const [name, value] of Object.entries(ids)) {
    if (value !== undefined && !isOpaqueId(value)) {
      throw new TypeError(
        `complianceCheck: ${name} must be an opaque id ([A-Za-z0-9_-], 1 to 64 characters)`,
      );
    }
  }
}

function marketingRefusals(
  draft: MessageDraft,
  recipient: RecipientState,
  listId: string | undefined,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (listId === undefined) {
    refusals.push({
      code: 'list_required',
      message:
        draft.listId === undefined || draft.listId === ''
          ? 'A marketing message needs the listId of the list the recipient consented to.'
          : 'listId must be a list id (letters, digits, - or _; at most 64 characters).',
      field: 'listId',
    });
  }
  const subscription = recipient.subscription;
  if (subscription === null) {
    refusals.push({ code: 'not_subscribed', message: 'The recipient is not subscribed to this list.' });
  } else if (subscription.status === 'unconfirmed') {
    refusals.push({
      code: 'unconfirmed',
      message: 'The recipient has not confirmed the subscription to this list (double opt-in pending).',
    });
  } else if (subscription.status === 'unsubscribed') {
    refusals.push({ code: 'unsubscribed', message: 'The recipient unsubscribed from this list.' });
  }
  if (recipient.marketingOptOut) {
    refusals.push({
      code: 'opted_out_of_all_marketing',
      message: 'The recipient unsubscribed from all marketing emails.',
    });
  }
  if (recipient.suppression !== null) {
    refusals.push({
      code: 'suppressed',
      message: `The address is on the suppression list (${recipient.suppression.reason}); no marketing may be sent to it.`,
    });
  }
  return refusals;
}

function announcementRefusals(
  recipient: RecipientState,
  category: AnnouncementCategory | undefined,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (category === undefined) {
    refusals.push({
      code: 'category_required',
      message: `A service announcement needs a category: one of ${announcementCategories.join(', ')}.`,
      field: 'category',
    });
  }
  if (!recipient.accountHolder) {
    refusals.push({
      code: 'not_account_holder',
      message:
        'Service announcements go only to account holders; this recipient has no account (send marketing with consent instead).',
    });
  }
  if (recipient.accountStatus === 'deactivated') {
    refusals.push({
      code: 'account_deactivated',
      message: 'The recipient’s account is deactivated; service announcements are no longer sent to it.',
    });
  }
  const reason = recipient.suppression?.reason;
  if (reason !== undefined && (undeliverableReasons.includes(reason) || reason === 'admin')) {
    refusals.push({
      code: 'suppressed',
      message: `The address is on the suppression list (${reason}); not even service announcements may be sent to it.`,
    });
  } else if (reason === 'complaint' && category !== 'security-notice') {
    refusals.push({
      code: 'complaint_allows_security_notices_only',
      message: 'The recipient reported our email as spam; only security notices may still be sent to them.',
      field: 'category',
    });
  }
  return refusals;
}

function transactionalRefusals(
  recipient: RecipientState,
  purpose: TransactionalPurpose | undefined,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (purpose === undefined) {
    refusals.push({
      code: 'purpose_required',
      message: `A transactional message needs a purpose: one of ${transactionalPurposes.join(', ')}.`,
      field: 'purpose',
    });
  }
  const reason = recipient.suppression?.reason;
  if (reason !== undefined) {
    const blocks =
      purpose === 'referral' ||
      reason === 'hard-bounce' ||
      reason === 'soft-bounces' ||
      reason === 'admin' ||
      (purpose === 'data-request' && reason === 'erased');
    if (blocks) {
      refusals.push({
        code: 'suppressed',
        message:
          purpose === 'referral'
            ? `The address is on the suppression list (${reason}); a referral, which the recipient did not ask for, is never sent to a suppressed address.`
            : `The address is on the suppression list (${reason}); it cannot or must not receive mail.`,
      });
    }
  }
  return refusals;
}

/**
 * A data-request email only answers a rights request of its recipient that is still open (docs/rights.md);
 * that request is what lets it past a complaint or an unsubscribe, never past a bounce or an erasure.
 */
function dataRequestRefusals(draft: MessageDraft, recipient: RecipientState): Refusal[] {
  const request = recipient.rightsRequest ?? null;
  const field = 'rightsRequestId';
  if (draft.rightsRequestId === undefined) {
    return [
      {
        code: 'rights_request_required',
        message:
          'A data-request email must name the rights request it answers (rightsRequestId): an open request of this recipient.',
        field,
      },
    ];
  }
  if (request === null || request.rightsRequestId !== draft.rightsRequestId) {
    return [{ code: 'rights_request_not_found', message: 'There is no such rights request.', field }];
  }
  if (request.contactId !== recipient.contactId) {
    return [
      {
        code: 'rights_request_other_contact',
        message: 'The rights request is not about this recipient.',
        field,
      },
    ];
  }
  if (!openStatuses.includes(request.status)) {
    return [
      {
        code: 'rights_request_closed',
        message: `The rights request is already ${request.status}; there is nothing left to write about.`,
        field,
      },
    ];
  }
  return [];
}

function headerRefusals(
  subject: string,
  to: string,
  callerHeaders: MessageHeader[],
  ourHeaders: MessageHeader[],
): Refusal[] {
  const refusals: Refusal[] = [];
  if (!isHeaderSafe(subject)) {
    refusals.push({
      code: 'header_injection',
      message:
        'The subject contains a line break, NUL, a tab, another control character or a bidirectional override.',
      field: 'subject',
    });
  }
  if (subject.length > MAX_HEADER_VALUE_LENGTH) {
    refusals.push({
      code: 'header_too_long',
      message: `The subject is ${subject.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed.`,
      field: 'subject',
    });
  }
  if (!isHeaderSafe(to)) {
    refusals.push({
      code: 'header_injection',
      message: 'The recipient address contains a line break or another control character.',
      field: 'to',
    });
  }
  callerHeaders.forEach((header, index) => {
    const name = typeof header.name === 'string' ? header.name : '';
    const value = typeof header.value === 'string' ? header.value : '';
    const validName = isFieldName(name);
    const field =
      validName && name.length <= MAX_HEADER_NAME_LENGTH ? `headers.${name}` : `headers[${index}]`;
    if (!validName) {
      refusals.push({
        code: 'header_injection',
        message:
          'A header name must be one or more printable ASCII characters (no spaces, line breaks or colons).',
        field,
      });
    } else if (name.length > MAX_HEADER_NAME_LENGTH) {
      refusals.push({
        code: 'header_too_long',
        message: `A header name is ${name.length} characters; at most ${MAX_HEADER_NAME_LENGTH} are allowed.`,
        field,
      });
    }
    if (!isHeaderSafe(value)) {
      refusals.push({
        code: 'header_injection',
        message: `The value of ${validName ? name : 'a header'} contains a line break, NUL, a tab, another control character or a bidirectional override.`,
        field,
      });
    }
    if (value.length > MAX_HEADER_VALUE_LENGTH) {
      refusals.push({
        code: 'header_too_long',
        message: `The value of ${validName ? name : 'a header'} is ${value.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed.`,
        field,
      });
    }
    if (isReservedHeader(name)) {
      refusals.push({
        code: 'reserved_header',
        message: `${name} is set by consent-mail (or SES) and may not be given by the caller.`,
        field,
      });
    }
  });
  for (const header of ourHeaders) {
    if (!isHeaderSafe(header.value)) {
      refusals.push({
        code: 'header_injection',
        message: `The ${header.name} header we would add contains a control character; check BASE_URL and UNSUBSCRIBE_MAILBOX.`,
        field: `headers.${header.name}`,
      });
    }
    if (header.value.length > MAX_HEADER_VALUE_LENGTH) {
      refusals.push({
        code: 'header_too_long',
        message: `The ${header.name} header we would add is ${header.value.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed (shorten BASE_URL, UNSUBSCRIBE_MAILBOX or the ids).`,
        field: `headers.${header.name}`,
      });
    }
  }
  return refusals;
}
