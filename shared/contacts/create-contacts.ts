import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { importedSubscriptionStatus, personsChoiceStanding } from '../consent/consent-authority';
import { changeContactConsent, changeSubscription } from '../consent/consent-changes';
import { type ConsentEvidence, type ConsentTextReference, referenceTo } from '../consent/consent-events';
import { hashEmail, parseEmailAddress } from '../email-address';
import type { Locale } from '../i18n/locales';
import { type ConsentText, findConsentText } from '../lists/consent-texts';
import { findList, type MailingList } from '../lists/lists';
import { findSuppression, type Suppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { recordAccountDesignation } from './account-holder';
import { type Contact, findContactByEmail, newContact, putNewContact } from './contacts';
import { doNotSellFields } from './do-not-sell';

/**
 * Creating contacts the operator already holds, one (`createContact`) or up to a thousand at a time
 * (`importContacts`), each with its evidence: for every list, either the opt-in the importer can prove
 * (when, where, to which version of the list's wording) or, without one, the legal basis the operator
 * relies on instead (`legitimate-interest`, `contract`) and where the contact came from. Without evidence
 * the subscription is `confirmed` but not affirmative, so every marketing email to it carries the
 * advertisement notice (CAN-SPAM); the ledger records the stated basis and source. Nothing is ever sent on import, an existing contact
 * is never overwritten, and a suppressed address stays suppressed: where the person chose it (unsubscribe,
 * complaint, erasure) the imported subscriptions are held `unconfirmed` until they opt in again.
 */

export const MAX_IMPORT_ROWS = 1000;
/** Two items per list plus the contact and its lookup fit well inside a 100-item transaction. */
export const MAX_LISTS_PER_CONTACT = 20;

export interface OptInEvidence {
  /** When the person opted in (ISO 8601). */
  at: string;
  /** Where: the form, page or process that collected it. */
  source: string;
  /** The version of the list's consent wording they agreed to; must exist. */
  consentTextVersion: number;
  /** The language of that wording; the contact's locale when absent. */
  locale?: Locale;
}

/** The legal bases an import without opt-in evidence may state (GDPR Art. 6(1)(b) and (f)). */
export const importBasesWithoutConsent = ['legitimate-interest', 'contract'] as const;
export type ImportBasisWithoutConsent = (typeof importBasesWithoutConsent)[number];

/**
 * Without opt-in evidence the importer states the basis it relies on instead (a soft opt-in of existing
 * customers is `legitimate-interest`; a service the person signed a contract for, `contract`) and where the
 * contact came from. The ledger records both.
 */
export interface ImportWithoutConsent {
  listId: string;
  noEvidence: true;
  legalBasis: ImportBasisWithoutConsent;
  /** Where the contact came from: the customer file, event, process. */
  source: string;
}

export type ImportedListEntry = { listId: string; optIn: OptInEvidence } | ImportWithoutConsent;

export interface ContactToCreate {
  email: string;
  name?: string | null;
  locale?: Locale;
  accountHolder?: boolean;
  accountStatus?: 'active' | 'deactivated';
  doNotSell?: boolean;
  lists?: ImportedListEntry[];
}

export type ContactCreation =
  | { status: 'created'; contactId: string; suppressed: boolean }
  | { status: 'already-exists'; contactId: string; reason: string }
  | { status: 'invalid'; reason: string; path: string };

export interface CreationContext {
  access: TableAccess;
  emailHashSecret: Buffer;
  /** The API key that made the change, recorded in the ledger. */
  apiKeyId: string;
  now?: () => Date;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Wordings = Map<string, Promise<ConsentText | undefined>>;
type Lists = Map<string, Promise<MailingList | undefined>>;

interface ResolvedEntry {
  listId: string;
  evidence:
    | { optIn: OptInEvidence; consentText: ConsentTextReference }
    | Pick<ImportWithoutConsent, 'legalBasis' | 'source'>;
}

/** Checks a row's lists and wording versions; a string is the reason the row is refused. */
async function resolveEntries(
  access: TableAccess,
  row: ContactToCreate,
  caches: { lists: Lists; wordings: Wordings },
): Promise<ResolvedEntry[] | { reason: string; path: string }> {
  const entries = row.lists ?? [];
  if (entries.length > MAX_LISTS_PER_CONTACT) {
    return { path: 'lists', reason: `at most ${MAX_LISTS_PER_CONTACT} lists per contact` };
  }
  const seen = new Set<string>();
  const resolved: ResolvedEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    if (seen.has(entry.listId)) {
      return { path: `lists.${index}.listId`, reason: `the list "${entry.listId}" is given twice` };
    }
    seen.add(entry.listId);
    if (!caches.lists.has(entry.listId)) caches.lists.set(entry.listId, findList(access, entry.listId));
    if ((await caches.lists.get(entry.listId)) === undefined) {
      return { path: `lists.${index}.listId`, reason: `unknown list: ${entry.listId}` };
    }
    if (!('optIn' in entry)) {
      resolved.push({
        listId: entry.listId,
        evidence: { legalBasis: entry.legalBasis, source: entry.source },
      });
      continue;
    }
    const locale = entry.optIn.locale ?? row.locale ?? 'en';
    const version = entry.optIn.consentTextVersion;
    const key = `${entry.listId}/${locale}/${version}`;
    if (!caches.wordings.has(key)) {
      caches.wordings.set(key, findConsentText(access, entry.listId, locale, version));
    }
    const wording = await caches.wordings.get(key);
    if (wording === undefined) {
      return {
        path: `lists.${index}.optIn.consentTextVersion`,
        reason: `version ${version} of the ${locale} wording of "${entry.listId}" does not exist`,
      };
    }
    resolved.push({
      listId: entry.listId,
      evidence: {
        optIn: entry.optIn,
        consentText: referenceTo(wording),
      },
    });
  }
  return resolved;
}

/**
 * An opt-out of sale set by the operator with the contact is a consent choice like any other: through
 * the consent owner, on the ledger with the key that set it. Returns the contact with its flags.
 */
function optedOutOfSale(context: CreationContext, ledger: TransactItem[], contact: Contact, now: Date) {
  return changeContactConsent(
    context.access,
    ledger,
    {
      authority: 'operator',
      contact,
      flags: doNotSellFields(true, 'admin', now),
      events: [
        {
          kind: 'sale-opted-out',
          method: 'admin',
          legalBasis: 'consent',
          evidence: { apiKeyId: context.apiKeyId, reason: 'set by the operator with the contact' },
        },
      ],
      isNew: true,
    },
    now,
  ).contact;
}

function planCreation(
  context: CreationContext,
  row: ContactToCreate & { email: string },
  entries: ResolvedEntry[],
  suppression: Suppression | undefined,
  now: Date,
) {
  const created: Contact = {
    ...newContact(
      {
        email: row.email,
        name: row.name ?? null,
        locale: row.locale ?? 'en',
        emailHashSecret: context.emailHashSecret,
      },
      now,
    ),
    ...(row.accountHolder ? { accountHolder: true, accountStatus: row.accountStatus ?? 'active' } : {}),
  };
  const ledger: TransactItem[] = [];
  const contact = row.doNotSell ? optedOutOfSale(context, ledger, created, now) : created;
  const items = [...putNewContact(context.access, contact), ...ledger];
  if (contact.accountHolder) {
    const before = { ...contact, accountHolder: false };
    const evidence = { apiKeyId: context.apiKeyId };
    recordAccountDesignation(context.access, items, { contact: before, accountHolder: true, evidence }, now);
  }
  // An address the person took off our lists (unsubscribe, complaint, erasure) is not put back by an
  // import: its subscriptions wait, unconfirmed, for the person's own opt-in (consent-authority.ts).
  const status = importedSubscriptionStatus(suppression);
  for (const { listId, evidence: given } of entries) {
    const optIn = 'optIn' in given ? given : null;
    const evidence: ConsentEvidence =
      'legalBasis' in given
        ? { apiKeyId: context.apiKeyId, source: given.source, reason: 'imported without opt-in evidence' }
        : {
            apiKeyId: context.apiKeyId,
            source: given.optIn.source,
            optedInAt: given.optIn.at,
            consentText: given.consentText,
            reason: 'imported with opt-in evidence',
          };
    if (status === 'unconfirmed')
      evidence.reason += `; held until the person opts in again (${personsChoiceStanding(suppression)})`;
    const legalBasis = 'legalBasis' in given ? given.legalBasis : 'consent';
    changeSubscription(
      context.access,
      items,
      {
        authority: 'operator',
        contactId: contact.contactId,
        listId,
        previous: undefined,
        next: {
          status,
          consentText: optIn?.consentText ?? null,
          pendingOptIn: null,
          affirmative: optIn !== null,
        },
        event: { kind: 'imported', method: 'import', legalBasis, evidence },
      },
      now,
    );
  }
  return { contact, items };
}

async function createOne(
  context: CreationContext,
  row: ContactToCreate,
  caches: { lists: Lists; wordings: Wordings },
): Promise<ContactCreation> {
  const parsed = parseEmailAddress(row.email);
  if (!parsed.ok) return { status: 'invalid', path: 'email', reason: `email ${parsed.reason}` };
  if (row.accountStatus !== undefined && !row.accountHolder) {
    return {
      status: 'invalid',
      path: 'accountStatus',
      reason: 'an account status needs accountHolder: true',
    };
  }
  const entries = await resolveEntries(context.access, row, caches);
  if (!Array.isArray(entries)) return { status: 'invalid', ...entries };
  const existing = await findContactByEmail(context.access, context.emailHashSecret, parsed.email);
  if (existing !== undefined) return alreadyExists(existing.contactId);

  const now = context.now?.() ?? new Date();
  const suppression = await findSuppression(context.access, hashEmail(context.emailHashSecret, parsed.email));
  const { contact, items } = planCreation(
    context,
    { ...row, email: parsed.email },
    entries,
    suppression,
    now,
  );
  for (let attempt = 1; ; attempt++) {
    try {
      await context.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
      break;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // The address lookup is conditional: someone created the same address a moment ago.
      const winner = await findContactByEmail(context.access, context.emailHashSecret, parsed.email);
      if (winner !== undefined) return alreadyExists(winner.contactId);
      // Otherwise a transaction conflict: the same items, written again.
      if (attempt >= 3) throw error;
    }
  }
  return { status: 'created', contactId: contact.contactId, suppressed: suppression !== undefined };
}

const alreadyExists = (contactId: string): ContactCreation => ({
  status: 'already-exists',
  contactId,
  reason: 'a contact with this address already exists; nothing was changed',
});

/** One contact; the route turns `already-exists` and `invalid` into errors. */
export function createContact(context: CreationContext, row: ContactToCreate): Promise<ContactCreation> {
  return createOne(context, row, { lists: new Map(), wordings: new Map() });
}

/**
 * Up to `MAX_IMPORT_ROWS` contacts, each in its own transaction (a bad row never blocks the others), a
 * few at a time. The result has one entry per row, in order. A second row with the address of an earlier
 * one is reported as `already-exists`.
 */
export async function importContacts(
  context: CreationContext,
  rows: ContactToCreate[],
  concurrency = 8,
): Promise<ContactCreation[]> {
  if (rows.length > MAX_IMPORT_ROWS) throw new RangeError(`At most ${MAX_IMPORT_ROWS} rows per import`);
  const caches = { lists: new Map(), wordings: new Map() } as { lists: Lists; wordings: Wordings };
  const results: ContactCreation[] = new Array(rows.length);
  // Rows with the same address run one after the other, so the first creates and the next finds it.
  const byAddress = new Map<string, number[]>();
  for (const [index, row] of rows.entries()) {
    const parsed = parseEmailAddress(row.email);
    const key = parsed.ok ? hashEmail(context.emailHashSecret, parsed.email) : `invalid:${index}`;
    byAddress.set(key, [...(byAddress.get(key) ?? []), index]);
  }
  const groups = [...byAddress.values()];
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++] ?? [];
      for (const index of group)
        results[index] = await createOne(context, rows[index] as ContactToCreate, caches);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
  return results;
}
