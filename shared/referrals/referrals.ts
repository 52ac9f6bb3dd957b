import { createHmac } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SenderIdentity } from '../config';
import { linkReachesThePerson } from '../consent/consent-authority';
import { subscriptionsOf } from '../consent/subscriptions';
import { findContact } from '../contacts/contacts';
import { keyOf, primaryKeyOf, table } from '../data-model';
import type { Mailer } from '../email/mailer';
import { canonicalMailbox, hashEmail } from '../email-address';
import { AppError, InvalidLinkError } from '../errors';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import type { Logger } from '../log';
import { countAttempt, rateLimitSubject } from '../rate-limits';
import { complianceCheck } from '../sending/compliance-policy';
import type { DecoratedMessage, RecipientState } from '../sending/message-types';
import { sendDecorated } from '../sending/send-message';
import { findSuppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import type { TokenSigner } from '../tokens';
import { claimInvitation } from './invitation-claim';
import { invitationDraft } from './invitation-email';

/**
 * Refer a friend: a confirmed subscriber gives a friend's address and the first name to be named by, and
 * the friend receives one invitation to sign up. The friend's address is used to send that one email and
 * is never stored: the table keeps only its keyed hash (`hashEmail`), in an invitation item that expires
 * after 30 days (one invitation per friend per window, whoever asks) and, if the friend asks, in a
 * permanent opt-out. The caller learns nothing about the friend: every accepted request has the same
 * outcome from the outside, whether an invitation was sent or skipped.
 */

export interface ReferralDependencies {
  access: TableAccess;
  mailer: Mailer;
  tokens: TokenSigner;
  sender: SenderIdentity;
  baseUrl: string;
  emailHashSecret: Buffer;
  logger: Logger;
  now?: () => Date;
}

/** Invitations one referrer may ask for per day (`countAttempt` scope `referral-sender`). */
export const REFERRALS_PER_REFERRER_PER_DAY = 5;
/** A friend receives at most one invitation in this many days. */
export const INVITATION_WINDOW_DAYS = 30;

const DAY = 24 * 3600;

export interface ReferralRequest {
  referrerContactId: string;
  /** Validated and canonical (`parseEmailAddress`); used for one send, never stored or logged. */
  friendEmail: string;
  firstName: string;
  note: string | null;
  /** The invitation's language; the referrer's own when absent. */
  locale: Locale | null;
  /**
   * The address generation the referrer's preference link was mailed to (its token's `gen`, absent 0).
   * Stored with the request, so the stream checks it again against the contact as it is then.
   */
  referrerLink: { mintedFor: number };
}

export type SkipReason =
  | 'rate-limited'
  | 'opted-out'
  | 'suppressed'
  | 'existing-contact'
  | 'already-invited'
  | 'refused-by-policy';

/** What happened, for logs and tests; never shown to the caller. */
export type ReferralOutcome = { kind: 'sent'; messageId: string } | { kind: 'skipped'; reason: SkipReason };

export class NotASubscriberError extends AppError {
  constructor() {
    super(
      'forbidden',
      'not_a_subscriber',
      'Only confirmed subscribers can invite a friend: confirm a subscription first.',
    );
  }
}

/**
 * The referrer as an invitation names them: a keyed hash of their contact id. An operator handling a
 * complaint about an invitation can check whether a given contact sent it (hash the id and compare), and
 * an erased referrer's id is in no invitation (docs/rights.md).
 */
export function referrerHashOf(secret: Buffer, contactId: string): string {
  return createHmac('sha256', secret).update(`referrer:${contactId}`).digest('hex');
}

/**
 * The referrer: a contact with at least one confirmed subscription, through a link mailed to the address
 * they have now: an invitation goes out in their name, and after an address change whoever reads the old
 * mailbox is not them (consent-authority.ts `linkReachesThePerson`). Checked in the request and again on
 * the stream, since the address may change in between.
 */
export async function assertReferrer(access: TableAccess, contactId: string, link: { mintedFor: number }) {
  const [contact, subscriptions] = await Promise.all([
    findContact(access, contactId),
    subscriptionsOf(access, contactId),
  ]);
  const confirmed = [...subscriptions.values()].some((subscription) => subscription.status === 'confirmed');
  if (contact === undefined || !confirmed) throw new NotASubscriberError();
  if (!linkReachesThePerson({ ...link, contact })) throw new InvalidLinkError();
  return contact;
}

/**
 * The friend as the referral rules know them: the keyed hash of their mailbox (`canonicalMailbox`, so
 * `grace+x@` is the `grace@` who opted out or was just invited), and the hash of the address as typed when
 * it differs, because opt-outs recorded before mailboxes were used are keyed by that.
 */
export function friendHashesOf(secret: Buffer, friendEmail: string) {
  const mailbox = hashEmail(secret, canonicalMailbox(friendEmail));
  const asTyped = hashEmail(secret, friendEmail);
  return { mailbox, all: mailbox === asTyped ? [mailbox] : [mailbox, asTyped] };
}

async function referralItemsOf(access: TableAccess, friendHash: string) {
  const { Items = [] } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
      ExpressionAttributeValues: { ':pk': primaryKeyOf('referralOptOut', { friendHash }).pk },
      ConsistentRead: true,
    }),
  );
  return Items;
}

/** The invitations (if still within their window) and opt-outs of one friend, one consistent query per hash. */
async function referralStateOf(access: TableAccess, friendHashes: string[], now: Date) {
  const Items = (await Promise.all(friendHashes.map((hash) => referralItemsOf(access, hash)))).flat();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const invitationSk = primaryKeyOf('referralInvitation', { friendHash: 'x' }).sk;
  const optOutSk = primaryKeyOf('referralOptOut', { friendHash: 'x' }).sk;
  return {
    optedOut: Items.some((item) => item[table.sortKey] === optOutSk),
    // TTL deletion lags: an expired item still in the table no longer counts.
    invited: Items.some(
      (item) =>
        item[table.sortKey] === invitationSk && Number(item[table.timeToLiveAttribute] ?? 0) > nowSeconds,
    ),
  };
}

async function isKnownAddress(access: TableAccess, emailHash: string): Promise<boolean> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('emailLookup', { emailHash }),
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

/** The referrer's side: how many referrals they asked for, and when. Nothing about the friends. */
async function countRequest(access: TableAccess, contactId: string, now: Date) {
  await access.documents.send(
    new UpdateCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('referralSummary', { contactId }),
      UpdateExpression:
        'ADD #requests :one SET #entity = :entity, #contactId = :contactId, #first = if_not_exists(#first, :now), #last = :now',
      ExpressionAttributeNames: {
        '#requests': 'requests',
        '#entity': 'entity',
        '#contactId': 'contactId',
        '#first': 'firstRequestAt',
        '#last': 'lastRequestAt',
      },
      ExpressionAttributeValues: {
        ':one': 1,
        ':entity': 'referralSummary',
        ':contactId': contactId,
        ':now': now.toISOString(),
      },
    }),
  );
}

type Referrer = Awaited<ReturnType<typeof assertReferrer>>;

/**
 * Why no invitation may go to the friend, or undefined when one may. Every accepted request counts
 * against the referrer's limit first, whatever then happens to it, so the endpoint cannot be used to
 * probe many addresses.
 */
async function skipReasonFor(
  deps: ReferralDependencies,
  referrer: Referrer,
  friendEmail: string,
  now: Date,
): Promise<SkipReason | undefined> {
  const [attempt] = await Promise.all([
    countAttempt(deps.access, {
      scope: 'referral-sender',
      subject: rateLimitSubject(deps.emailHashSecret, referrer.contactId),
      limit: REFERRALS_PER_REFERRER_PER_DAY,
      windowSeconds: DAY,
      now,
    }),
    countRequest(deps.access, referrer.contactId, now),
  ]);
  if (!attempt.allowed) return 'rate-limited';
  // Suppression and contacts are identities: the address as typed. Opt-out and window: the mailbox.
  const emailHash = hashEmail(deps.emailHashSecret, friendEmail);
  const friend = friendHashesOf(deps.emailHashSecret, friendEmail);
  const [state, suppression, known] = await Promise.all([
    referralStateOf(deps.access, friend.all, now),
    findSuppression(deps.access, emailHash),
    isKnownAddress(deps.access, emailHash),
  ]);
  if (state.optedOut) return 'opted-out';
  if (suppression !== undefined) return 'suppressed';
  // Someone we already know has subscribed, is confirming, or chose to stop our marketing: an invitation
  // would be pointless or would override their choice.
  if (known) return 'existing-contact';
  if (state.invited) return 'already-invited';
  return undefined;
}

/**
 * The invitation through the compliance policy. The friend is not a contact: the policy sees an address
 * with no consent and no account (suppressed addresses were skipped before; the policy refuses a referral
 * at any suppression too).
 */
function invitationDecision(
  deps: ReferralDependencies,
  request: ReferralRequest,
  invitation: { messageId: string; locale: Locale; friendHash: string },
) {
  const { messageId, locale, friendHash } = invitation;
  const optOutToken = deps.tokens.sign('referralOptOut', { friendHash });
  const draft = invitationDraft({
    locale,
    firstName: request.firstName,
    note: request.note,
    companyName: deps.sender.companyName,
    optOutUrl: `${deps.baseUrl}/v1/referrals/opt-out?token=${optOutToken}&locale=${locale}`,
    windowDays: INVITATION_WINDOW_DAYS,
  });
  const recipient: RecipientState = {
    contactId: messageId,
    email: request.friendEmail,
    name: null,
    locale,
    accountHolder: false,
    accountStatus: null,
    trackingConsent: false,
    marketingOptOut: false,
    suppression: null,
    subscription: null,
    list: null,
  };
  const context = { sender: deps.sender, baseUrl: deps.baseUrl, tokens: deps.tokens };
  return complianceCheck(draft, recipient, { messageId }, context);
}

/** Sends the claimed invitation and marks it sent; a failed send frees the claim so a retry can send. */
async function sendClaimedInvitation(
  deps: ReferralDependencies,
  message: DecoratedMessage,
  claim: { friendHash: string; messageId: string },
) {
  const key = primaryKeyOf('referralInvitation', { friendHash: claim.friendHash });
  let sesMessageId: string;
  try {
    ({ sesMessageId } = await sendDecorated(deps.mailer, message));
  } catch (error) {
    // Nothing was sent: free the slot, then let the caller see the failure (503).
    await deps.access.documents.send(
      new DeleteCommand({
        TableName: deps.access.tableName,
        Key: key,
        ConditionExpression: '#messageId = :messageId',
        ExpressionAttributeNames: { '#messageId': 'messageId' },
        ExpressionAttributeValues: { ':messageId': claim.messageId },
      }),
    );
    throw error;
  }
  await deps.access.documents.send(
    new UpdateCommand({
      TableName: deps.access.tableName,
      Key: key,
      UpdateExpression: 'SET #status = :sent, #sesMessageId = :sesMessageId, #sentAt = :sentAt',
      ExpressionAttributeNames: { '#status': 'status', '#sesMessageId': 'sesMessageId', '#sentAt': 'sentAt' },
      ExpressionAttributeValues: {
        ':sent': 'sent',
        ':sesMessageId': sesMessageId,
        ':sentAt': (deps.now?.() ?? new Date()).toISOString(),
      },
    }),
  );
}

export async function createReferral(
  deps: ReferralDependencies,
  request: ReferralRequest,
): Promise<ReferralOutcome> {
  const now = deps.now?.() ?? new Date();
  const log = deps.logger.child({ referrerContactId: request.referrerContactId });
  const referrer = await assertReferrer(deps.access, request.referrerContactId, request.referrerLink);
  const skip = (reason: SkipReason): ReferralOutcome => {
    log.info('referral skipped', { reason });
    return { kind: 'skipped', reason };
  };
  const reason = await skipReasonFor(deps, referrer, request.friendEmail, now);
  if (reason !== undefined) return skip(reason);

  const locale = request.locale ?? referrer.locale;
  const messageId = newId();
  const friendHash = friendHashesOf(deps.emailHashSecret, request.friendEmail).mailbox;
  const decision = invitationDecision(deps, request, { messageId, locale, friendHash });
  if (!decision.allowed) {
    log.warn('referral refused by the compliance policy', {
      codes: decision.refusals.map((refusal) => refusal.code),
    });
    return skip('refused-by-policy');
  }
  const claimed = await claimInvitation(
    deps.access,
    friendHash,
    { messageId, referrerHash: referrerHashOf(deps.emailHashSecret, referrer.contactId), locale },
    { now, windowSeconds: INVITATION_WINDOW_DAYS * DAY },
  );
  if (!claimed) return skip('already-invited');
  await sendClaimedInvitation(deps, decision.message, { friendHash, messageId });
  log.info('referral invitation sent', { messageId });
  return { kind: 'sent', messageId };
}

/** The friend of an opt-out link, or undefined when the token is not genuine. */
export function friendOfOptOutToken(tokens: TokenSigner, token: string): string | undefined {
  const verified = tokens.verify('referralOptOut', token);
  return verified.ok ? verified.data.friendHash : undefined;
}

/**
 * Records that this friend never wants another invitation. Permanent (no TTL); repeating it keeps the
 * first date. Returns whether this call recorded it.
 */
export async function optOutOfReferrals(
  access: TableAccess,
  friendHash: string,
  now: Date = new Date(),
): Promise<'opted-out' | 'already'> {
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...keyOf('referralOptOut', { friendHash }),
          entity: 'referralOptOut',
          createdAt: now.toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
    return 'opted-out';
  } catch (error) {
    if (isConditionFailure(error)) return 'already';
    throw error;
  }
}
