import type { SenderIdentity } from '../../config';
import { defaultLocale, isSupportedLocale, type Locale } from '../../i18n/locales';
import type { TokenSigner } from '../../tokens';
import type { PixelMode } from '../../tracking/tracking-modes';
import type { Footer } from '../footer';
import type {
  Exemption,
  MessageDraft,
  MessageHeader,
  MessageIdentity,
  MessageKind,
  RecipientState,
  Refusal,
} from '../message-types';

/**
 * What every message kind's policy (marketing.ts, announcement.ts, transactional.ts) is given and what it
 * answers. The compliance policy (../compliance-policy.ts) picks the kind's policy, adds the rules of
 * every kind (content.ts, headers.ts) and, when nothing refused, decorates the message as the kind says.
 */

export interface ComplianceContext {
  sender: SenderIdentity;
  /** Public base URL without a trailing slash. */
  baseUrl: string;
  tokens: TokenSigner;
}

/** The caller's parts as the policy reads them: the subject as it would be sent, blank parts absent. */
export interface DraftContent {
  subject: string;
  html: string | undefined;
  text: string | undefined;
  headers: MessageHeader[];
}

export interface PolicyInput {
  draft: MessageDraft;
  recipient: RecipientState;
  identity: MessageIdentity;
  context: ComplianceContext;
  content: DraftContent;
}

/** How an allowed message of the kind is dressed. */
export interface Decoration {
  footer: Footer;
  /** The open-tracking pixel's HTML, placed after the footer; empty when there is none. */
  pixel: string;
  /** The tracking mode the pixel was placed under (marketing with a pixel only). */
  pixelMode?: PixelMode;
  exemption: Exemption | null;
  /** The kind's own SES tag: `listId`, `category` or `purpose`. */
  tag: Record<string, string>;
}

interface JudgedContentAndHeaders {
  /** What this kind's content may not say, beyond the rules of every kind. */
  contentRefusals: Refusal[];
  /** The headers we add (checked with the caller's), and how many count against SES's limit. */
  ourHeaders: MessageHeader[];
  ourHeaderCount: number;
}

/**
 * A kind's judgement. `recipientRefusals` says who may not receive it and which of the kind's own fields
 * (listId, category, purpose) are missing; without those fields there is nothing to decorate with, so
 * `decorate` is null and the type demands the refusal that says why.
 */
export type KindJudgement = JudgedContentAndHeaders &
  (
    | { recipientRefusals: Refusal[]; decorate: () => Decoration }
    | { recipientRefusals: [Refusal, ...Refusal[]]; decorate: null }
  );

export type KindPolicy = (input: PolicyInput) => KindJudgement;
export type KindPolicies = { readonly [K in MessageKind]: KindPolicy };

export function isOneOf<T extends string>(values: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (values as readonly string[]).includes(value);
}

export function recipientLocale(recipient: RecipientState): Locale {
  return isSupportedLocale(recipient.locale) ? recipient.locale : defaultLocale;
}
