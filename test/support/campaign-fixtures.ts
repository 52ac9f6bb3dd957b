import type { Campaign, CampaignContent } from '../../shared/campaigns/campaigns';
import type { SenderIdentity } from '../../shared/config';
import type { ComplianceContext } from '../../shared/sending/compliance-policy';
import type { RecipientState } from '../../shared/sending/message-types';
import { createTokenSigner } from '../../shared/tokens';

/**
 * What the compliance policy and the worker's template need besides a message (pure unit tests), and a
 * campaign's content for tests that create one. Each builder takes `overrides` for what a test varies.
 */

export const senderIdentity: SenderIdentity = {
  fromAddress: 'news@example.com',
  fromName: 'Example Co',
  replyTo: 'hello@example.com',
  companyName: 'Example Co',
  postalAddress: '1 Main Street, Springfield, IL 62701, USA',
  unsubscribeMailbox: 'unsubscribe@example.com',
};

export const policyContext: ComplianceContext = {
  sender: senderIdentity,
  baseUrl: 'https://mail.example.com',
  tokens: createTokenSigner({ activeKeyId: 'k1', keys: new Map([['k1', Buffer.alloc(32, 1)]]) }),
};

/** A confirmed subscriber of the list `news`, tracking off, `overrides` applied. */
export function subscriberState(overrides: Partial<RecipientState> = {}): RecipientState {
  return {
    contactId: 'c_1',
    email: 'ada@example.org',
    name: 'Ada',
    locale: 'en',
    accountHolder: false,
    accountStatus: null,
    trackingConsent: false,
    marketingOptOut: false,
    suppression: null,
    subscription: { status: 'confirmed', consentText: null, affirmative: true },
    list: { listId: 'news', name: 'News', trackingMode: 'off' },
    ...overrides,
  };
}

/** An active account holder, as a service announcement's recipients are, `overrides` applied. */
export function accountHolderState(overrides: Partial<RecipientState> = {}): RecipientState {
  return subscriberState({
    accountHolder: true,
    accountStatus: 'active',
    subscription: null,
    list: null,
    ...overrides,
  });
}

/** A marketing campaign's content, to the list `news`, `overrides` applied. */
export function campaignContent(overrides: Partial<CampaignContent> = {}): CampaignContent {
  return {
    name: 'News',
    kind: 'marketing',
    audience: { type: 'list', listId: 'news' },
    subject: 'News',
    html: '<p>Hello</p>',
    text: null,
    tracking: false,
    advertisement: false,
    category: null,
    policyEffectiveDate: null,
    promotionalOverride: null,
    ...overrides,
  };
}

/** A running marketing campaign to `news` as the worker reads it, `overrides` applied. */
export function storedCampaign(overrides: Partial<Campaign> = {}): Campaign {
  return {
    campaignId: 'cmp_1',
    ...campaignContent(),
    status: 'running',
    scheduledAt: null,
    createdAt: '2026-12-07T00:00:00.000Z',
    startedAt: null,
    pausedAt: null,
    pausedReason: null,
    cancelledAt: null,
    completedAt: null,
    planned: 0,
    outstanding: 0,
    planning: 0,
    ...overrides,
  };
}

/** A running service announcement (maintenance) to every account holder. */
export function storedAnnouncement(overrides: Partial<Campaign> = {}): Campaign {
  return storedCampaign({
    kind: 'announcement',
    audience: { type: 'account-holders' },
    category: 'maintenance',
    ...overrides,
  });
}
