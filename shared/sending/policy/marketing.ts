import { type UnsubscribeLinks, unsubscribeLinks } from '../../email/unsubscribe-links';
import type { PixelMode } from '../../tracking/tracking-modes';
import { isOpaqueId } from '../../validation/rules';
import { marketingFooter, openTrackingPixel } from '../footer';
import type { MessageDraft, MessageIdentity, RecipientState, Refusal } from '../message-types';
import { type Decoration, type KindJudgement, type PolicyInput, recipientLocale } from './kind-policy';

/**
 * Marketing: sent only with consent on record for the draft's list (handbook promise 1), never to a
 * suppressed address, and always with the ways out: the RFC 8058 List-Unsubscribe headers, the footer's
 * unsubscribe and preference links, and the advertisement notice where consent was not affirmative.
 */

/** List-Unsubscribe and List-Unsubscribe-Post, counted against SES's header limit. */
const LIST_UNSUBSCRIBE_HEADER_COUNT = 2;

export function marketingPolicy(input: PolicyInput): KindJudgement {
  const { draft, recipient, identity, context } = input;
  const consent = consentRefusals(recipient);
  const listId = draft.listId !== undefined && isOpaqueId(draft.listId) ? draft.listId : undefined;
  if (listId === undefined) {
    return {
      recipientRefusals: [listRequired(draft), ...consent],
      contentRefusals: [],
      ourHeaders: [],
      ourHeaderCount: LIST_UNSUBSCRIBE_HEADER_COUNT,
      decorate: null,
    };
  }
  assertOpaqueIds(recipient, identity);
  const links = unsubscribeLinks(
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
      ...(recipient.addressGeneration === undefined
        ? {}
        : { addressGeneration: recipient.addressGeneration }),
    },
    recipientLocale(recipient),
  );
  return {
    recipientRefusals: consent,
    contentRefusals: [],
    ourHeaders: links.headers,
    ourHeaderCount: LIST_UNSUBSCRIBE_HEADER_COUNT,
    decorate: () => marketingDecoration(input, listId, links),
  };
}

/** Consent for the list, no opt-out from all marketing, no suppression of any kind. */
function consentRefusals(recipient: RecipientState): Refusal[] {
  const refusals: Refusal[] = [];
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

function listRequired(draft: MessageDraft): Refusal {
  return {
    code: 'list_required',
    message:
      draft.listId === undefined || draft.listId === ''
        ? 'A marketing message needs the listId of the list the recipient consented to.'
        : 'listId must be a list id (letters, digits, - or _; at most 64 characters).',
    field: 'listId',
  };
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

function marketingDecoration(input: PolicyInput, listId: string, links: UnsubscribeLinks): Decoration {
  const { draft, recipient, context } = input;
  const list = recipient.list?.listId === listId ? recipient.list : null;
  const footer = marketingFooter({
    locale: recipientLocale(recipient),
    listName: list?.name ?? listId,
    unsubscribeUrl: links.unsubscribePageUrl,
    preferencesUrl: links.preferencesUrl,
    sender: context.sender,
    advertisement: recipient.subscription?.affirmative === false || draft.advertisement === true,
  });
  const mode = pixelModeFor(input, list?.trackingMode ?? 'off');
  return {
    footer,
    pixel: mode === null ? '' : trackingPixel(input, mode),
    ...(mode === null ? {} : { pixelMode: mode }),
    exemption: null,
    tag: { listId },
  };
}

/**
 * Whether the message gets a pixel, and under which mode (docs/tracking.md, "Tracking modes"): only in the
 * caller's own HTML (never in HTML made from text), never when the caller turned it off, never on a list
 * whose mode is `off`; on a `per-person` list only for a recipient who allowed tracking; on an `aggregate`
 * list for everyone, since nothing about the person is recorded beyond the date of their latest open.
 */
function pixelModeFor(input: PolicyInput, listMode: 'per-person' | 'aggregate' | 'off'): PixelMode | null {
  const { draft, recipient, content } = input;
  if (content.html === undefined || draft.tracking === false || listMode === 'off') return null;
  if (listMode === 'per-person' && !recipient.trackingConsent) return null;
  return listMode;
}

/**
 * The pixel's `<img>`. An aggregate token says so: the pixel chooses its one write from the token, and the
 * message's own `trackingMode` (the write's condition) must agree (shared/tracking/record-open.ts).
 */
function trackingPixel(input: PolicyInput, mode: PixelMode): string {
  const { recipient, identity, context } = input;
  const token = context.tokens.sign('trackOpen', {
    contactId: recipient.contactId,
    messageId: identity.messageId,
    ...(mode === 'aggregate' ? { mode } : {}),
  });
  return openTrackingPixel(`${context.baseUrl}/v1/pixel?token=${token}`);
}
