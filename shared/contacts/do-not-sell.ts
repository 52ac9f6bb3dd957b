import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { conditionFailedAt, transactWithRetry } from '../campaigns/transactions';
import { type ConsentAuthority, saleChoiceOnRecord } from '../consent/consent-authority';
import { changeContactConsent } from '../consent/consent-changes';
import type { ConsentEvidence } from '../consent/consent-events';
import { optOutOfSaleUnread } from '../consent/unread-changes';
import type { TableAccess } from '../table-access';
import { type Contact, type DoNotSellSource, findContact } from './contacts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * CCPA's opt-out of the sale or sharing of personal information, held on the contact itself (`doNotSell`,
 * with where it came from and when), so the export shows it as part of the contact. Three ways set it: the
 * person on the preference page, the operator through the admin API, and a browser's Global Privacy
 * Control signal (`Sec-GPC: 1`) on a signup request or with any choice on the preference page. GPC only
 * ever sets it: the signal's absence is not a choice to lift it.
 */

/** The contact fields that record a do-not-sell choice. */
export function doNotSellFields(
  doNotSell: boolean,
  source: DoNotSellSource,
  now: Date,
): Pick<Contact, 'doNotSell' | 'doNotSellSource' | 'doNotSellAt'> {
  return { doNotSell, doNotSellSource: source, doNotSellAt: now.toISOString() };
}

export type DoNotSellResult = 'changed' | 'unchanged' | 'unknown-contact';

const authorityOfSource = {
  'global-privacy-control': 'unverified-request',
  'preference-page': 'preference-link',
  admin: 'operator',
} as const satisfies Record<DoNotSellSource, ConsentAuthority>;

/**
 * Sets (or lifts) the opt-out, with its ledger event; a repeat of the current choice changes and records
 * nothing (`saleChoiceOnRecord`: the person's opt-out over the operator's is recorded as theirs). Only the
 * person lifts their own (or their browser's) opt-out; the operator lifts only its own (consent-changes.ts
 * refuses the rest).
 */
export async function setDoNotSell(
  access: TableAccess,
  contactId: string,
  doNotSell: boolean,
  source: DoNotSellSource,
  evidence: ConsentEvidence = {},
  now = new Date(),
  /** From the preference page: the address generation its link was mailed to (opting in again needs it). */
  link?: { mintedFor: number },
): Promise<DoNotSellResult> {
  for (let attempt = 1; ; attempt++) {
    const contact = await findContact(access, contactId);
    if (contact === undefined) return 'unknown-contact';
    if (saleChoiceOnRecord(contact, doNotSell, source)) return 'unchanged';
    const items = saleChoice(access, contact, { doNotSell, source, evidence, link }, now);
    try {
      await access.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return 'changed';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || attempt >= 3) throw error;
      // Erased, or the choice changed since it was read (the person's own opt-out): read and decide again.
    }
  }
}

/** The choice and its ledger event, through the consent owner (which refuses what `source` may not do). */
function saleChoice(
  access: TableAccess,
  contact: Contact,
  choice: {
    doNotSell: boolean;
    source: DoNotSellSource;
    evidence: ConsentEvidence;
    link: { mintedFor: number } | undefined;
  },
  now: Date,
): TransactItem[] {
  const { doNotSell, source, evidence } = choice;
  const items: TransactItem[] = [];
  const event = {
    kind: doNotSell ? ('sale-opted-out' as const) : ('sale-opted-in' as const),
    method: source === 'admin' ? ('admin' as const) : ('preference-page' as const),
    legalBasis: 'consent' as const,
    evidence,
  };
  const flags = doNotSellFields(doNotSell, source, now);
  changeContactConsent(
    access,
    items,
    {
      authority: authorityOfSource[source],
      contact,
      flags,
      events: [event],
      ...(choice.link === undefined ? {} : { link: choice.link }),
    },
    now,
  );
  return items;
}

/**
 * The opt-out a browser's Global Privacy Control signal carries, as transaction items decided by
 * conditions, not by a read (consent/unread-changes.ts): written only where the contact exists and the
 * choice is not on record (`saleChoiceOnRecord`), so a signal sent with every choice is recorded once.
 * The preference page's leave of one list carries them in its own transaction (consent/unsubscribe.ts).
 */
export function signalOptOutItems(
  access: TableAccess,
  contactId: string,
  evidence: ConsentEvidence,
  now: Date,
): TransactItem[] {
  const items: TransactItem[] = [];
  const source = 'global-privacy-control';
  optOutOfSaleUnread(
    access,
    items,
    {
      authority: authorityOfSource[source],
      contactId,
      source,
      event: { kind: 'sale-opted-out', method: 'preference-page', legalBasis: 'consent', evidence },
    },
    now,
  );
  return items;
}

/**
 * The signal's opt-out in a transaction of its own, with no read: `unchanged` when the transaction's
 * condition says it is on record already (or the contact is gone: a later step of the request says so).
 */
export async function recordSignalOptOut(
  access: TableAccess,
  contactId: string,
  evidence: ConsentEvidence,
  now = new Date(),
): Promise<'changed' | 'unchanged'> {
  try {
    // Another write to the contact at the same moment is retried; a failed condition is the answer.
    await transactWithRetry(access, signalOptOutItems(access, contactId, evidence, now));
    return 'changed';
  } catch (error) {
    if (conditionFailedAt(error, 0)) return 'unchanged';
    throw error;
  }
}
