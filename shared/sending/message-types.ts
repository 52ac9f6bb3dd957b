import type { ConsentTextReference } from '../consent/consent-events';
import type { SubscriptionStatus } from '../consent/subscriptions';
import type { Locale } from '../i18n/locales';
import type { RightsRequestStatus } from '../rights/rights-request-rules';
import type { Suppression, SuppressionReason } from '../suppressions/suppressions';
import type { PixelMode, TrackingMode } from '../tracking/tracking-modes';

/**
 * The vocabulary of sending, shared by the compliance policy (compliance-policy.ts), the send service and
 * the admin API.
 */

export const messageKinds = ['marketing', 'announcement', 'transactional'] as const;
export type MessageKind = (typeof messageKinds)[number];

/** Service announcements: exempt from marketing opt-outs, never promotional. */
export const announcementCategories = ['maintenance', 'policy-change', 'security-notice', 'account'] as const;
export type AnnouncementCategory = (typeof announcementCategories)[number];
/**
 * The notices that may go beyond account holders to everyone concerned (every contact held, or those an
 * incident affected): people must learn of a changed policy or a breach whether or not they hold an account.
 */
export const noticeCategories = [
  'policy-change',
  'security-notice',
] as const satisfies readonly AnnouncementCategory[];
/** Who an announcement is for: account holders (the default), or everyone concerned (notices only). */
export type AnnouncementAudience = 'account-holders' | 'everyone-concerned';

export const transactionalPurposes = [
  'confirmation',
  'welcome',
  'referral',
  'data-request',
  'email-change',
] as const;
export type TransactionalPurpose = (typeof transactionalPurposes)[number];

export interface MessageHeader {
  name: string;
  value: string;
}

/** One language's content of a message (draft-versions.ts). */
export interface ContentVersion {
  subject: string;
  html?: string;
  text?: string;
}

/** Versions besides the `en` fallback, by locale. */
export type ContentVersions = Partial<Record<Exclude<Locale, 'en'>, ContentVersion>>;

/** What a caller asks to send, before the policy has looked at it. */
export interface MessageDraft {
  kind: MessageKind;
  /** Marketing: the list the recipient consented to. */
  listId?: string;
  /** Announcements: the declared category. */
  category?: AnnouncementCategory;
  /** Announcements: account holders unless said otherwise. */
  audience?: AnnouncementAudience;
  /** Transactional: what the message is for. */
  purpose?: TransactionalPurpose;
  /** The `en` version, and the fallback for a locale without its own (draft-versions.ts). */
  subject: string;
  html?: string;
  text?: string;
  /** The content in other locales (`fr`): each recipient gets their locale's; every version is checked. */
  versions?: ContentVersions;
  /** Extra headers; the policy refuses reserved ones (List-Unsubscribe…, From, To, …). */
  headers?: MessageHeader[];
  /** Marketing: the sender asks for the advertisement notice even with affirmative consent. */
  advertisement?: boolean;
  /** Marketing: false keeps the open pixel out even for recipients who allowed tracking. */
  tracking?: boolean;
  /** Announcements: send although the promotional heuristic matched; the reason is recorded. */
  promotionalOverride?: { reason: string };
  /** Transactional `data-request`: the open rights request of the recipient it is about (docs/rights.md). */
  rightsRequestId?: string;
}

/** Everything the policy needs to know about the recipient, read just before the decision. */
export interface RecipientState {
  contactId: string;
  email: string;
  name: string | null;
  locale: Locale;
  accountHolder: boolean;
  accountStatus: 'active' | 'deactivated' | null;
  trackingConsent: boolean;
  marketingOptOut: boolean;
  /**
   * The address's generation (contacts.ts `addressGeneration`; absent or 0 while never changed), carried
   * by the preference link so that it widens consent only while the address is the one it was mailed to.
   */
  addressGeneration?: number;
  /**
   * The contact exists only through signups not yet confirmed (unconfirmed-expiry.ts `isPendingOnly`):
   * nothing connects the person to us yet, so only the confirmation may be sent.
   */
  pendingOnly?: boolean;
  suppression: Pick<Suppression, 'reason' | 'scope'> | null;
  /** Marketing: the recipient's subscription to the draft's list, if any. */
  subscription: {
    status: SubscriptionStatus;
    consentText: ConsentTextReference | null;
    /** False when imported without opt-in evidence: the ad notice becomes mandatory (CAN-SPAM). */
    affirmative: boolean;
  } | null;
  /** Marketing: the list itself. */
  list: { listId: string; name: string; trackingMode: TrackingMode } | null;
  /** Transactional `data-request`: the rights request the draft names, as read just now; null if none. */
  rightsRequest?: { rightsRequestId: string; contactId: string | null; status: RightsRequestStatus } | null;
}

/** Ids the decorated message carries (links, tags). */
export interface MessageIdentity {
  messageId: string;
  campaignId?: string;
  /**
   * The contact whose message record this is: with the message id it names the record's key in SES's
   * events (ses-events reads it without an index). Absent for mail that has no record (a referral).
   */
  contactId?: string;
}

/** Why a message was allowed past an opt-out or without consent; recorded with the message. */
export type Exemption =
  | {
      type: 'service-announcement';
      category: AnnouncementCategory;
      reason: string;
      promotionalOverride?: { reason: string };
    }
  | { type: 'transactional'; purpose: TransactionalPurpose; rightsRequestId?: string };

/** A message ready for SES: every header and both bodies final. */
export interface DecoratedMessage {
  from: string;
  replyTo: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Custom headers including List-Unsubscribe and List-Unsubscribe-Post for marketing. */
  headers: MessageHeader[];
  /** SES message tags: our message id, contact id, kind, campaign id ([A-Za-z0-9_-] values only). */
  tags: Record<string, string>;
  /** Whether the HTML carries the open-tracking pixel. */
  tracked: boolean;
  /** With a pixel: the list's tracking mode it was placed under, recorded on the message. */
  trackingMode?: PixelMode;
}

export const refusalCodes = [
  // consent and suppression (marketing)
  'list_required',
  'not_subscribed',
  'unconfirmed',
  'unsubscribed',
  'opted_out_of_all_marketing',
  'suppressed',
  // announcements
  'category_required',
  'not_account_holder',
  'account_deactivated',
  'notice_category_required',
  'unconfirmed_signup_only',
  'complaint_allows_security_notices_only',
  'promotional_announcement',
  'announcement_hidden_content',
  // transactional
  'purpose_required',
  'rights_request_required',
  'rights_request_not_found',
  'rights_request_other_contact',
  'rights_request_closed',
  'promotional_data_request',
  // content and headers (every kind)
  'empty_subject',
  'deceptive_subject',
  'body_required',
  'header_injection',
  'header_too_long',
  'too_many_headers',
  'reserved_header',
  'footer_not_visible',
  // a campaign's placeholders (shared/campaigns/placeholder-positions.ts)
  'misplaced_placeholder',
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

export interface Refusal {
  code: RefusalCode;
  message: string;
  /** The field or header concerned, e.g. `subject` or `headers.X-Campaign`. */
  field?: string;
}

export type PolicyDecision =
  | { allowed: true; message: DecoratedMessage; exemption: Exemption | null }
  | { allowed: false; refusals: Refusal[] };

/** Suppression reasons that stop even service announcements (an address that cannot or must not receive mail). */
export const undeliverableReasons: readonly SuppressionReason[] = ['hard-bounce', 'soft-bounces', 'erased'];
