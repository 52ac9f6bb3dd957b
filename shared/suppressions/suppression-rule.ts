import {
  type SuppressionScope,
  scopeOfReason,
  type suppressionReasons,
} from '../data-model/suppression-items';

/**
 * The one rule for an address that has several reasons to be suppressed (docs/suppressions.md, "One
 * address, several reasons"): every reason stands until what may lift that reason lifts it, and the
 * strongest one decides what is sent. Every writer that adds a reason to an address that may already
 * have one (SES feedback, a restore's re-apply, an address change's carried suppression) and every lift
 * goes through `suppressionWith` / `suppressionWithout`; nothing else ranks reasons or scopes.
 */

export type SuppressionReason = (typeof suppressionReasons)[number];

/** One reason an address is suppressed for: when, what caused it, and (the operator's block) its note. */
export interface StandingReason {
  reason: SuppressionReason;
  createdAt: string;
  /** The SES event or request that caused it. */
  sourceEventId?: string;
  /**
   * The operator's block (`admin`, admin-suppressions.ts) holds the address it blocks, its note and the key
   * that made it; no other reason holds an address. Erasure strips the address and the note (and the ids
   * below) from every reason it finds (shared/rights/anonymised-records.ts `anonymisedSuppression`).
   */
  email?: string;
  note?: string;
  createdBy?: string;
  /** SES feedback: the contact and the email it was about, for the operator's event (ses-feedback.ts). */
  contactId?: string;
  messageId?: string;
}

/** An address's suppression: its strongest reason at the top, the others still standing beneath it. */
export interface Suppression extends StandingReason {
  emailHash: string;
  /** What it stops (`suppressionScopes`, `scopeOfReason`: shared/data-model/suppression-items.ts). */
  scope: SuppressionScope;
  /** The other reasons still standing, strongest first; each takes over when those above it are lifted. */
  underlying?: StandingReason[];
}

/**
 * Strongest first, by what each stops at send time (docs/sending.md, "Who may receive what"): the
 * operator's block and the bounces stop everything (the block first: only the operator lifts it, and it
 * holds the address); an erasure lets the confirmation email that is the way back in through; a
 * complaint leaves security notices and what the person asked for; an unsubscribe stops marketing only.
 * Each reason stops at least what every reason after it stops, so the top reason alone decides a send.
 */
export const reasonsStrongestFirst: readonly SuppressionReason[] = [
  'admin',
  'hard-bounce',
  'soft-bounces',
  'erased',
  'complaint',
  'unsubscribed',
];

const rank = (reason: SuppressionReason) => reasonsStrongestFirst.indexOf(reason);

/** Every reason standing on the entry, strongest first. */
export function standingReasons(suppression: Suppression): StandingReason[] {
  const { emailHash: _hash, scope: _scope, underlying, ...top } = suppression;
  return [top, ...(underlying ?? [])];
}

/** The entry holding exactly these reasons: the strongest at the top with its scope, the rest beneath. */
function entryOf(emailHash: string, reasons: StandingReason[]): Suppression | undefined {
  const [top, ...rest] = [...reasons].sort((a, b) => rank(a.reason) - rank(b.reason));
  if (top === undefined) return undefined;
  return {
    emailHash,
    ...top,
    scope: scopeOfReason[top.reason],
    ...(rest.length > 0 ? { underlying: rest } : {}),
  };
}

/**
 * THE rule: what an address's entry becomes when `incoming` (one reason, or an entry with several) reaches
 * it. Every reason of both stands (a reason already on file keeps its first time and cause); the
 * strongest decides. Undefined when `incoming` adds no reason: nothing to write. So no order of events
 * leaves the address less suppressed than any one of them did, and lifting one reason later leaves the
 * others.
 */
export function suppressionWith(
  existing: Suppression | undefined,
  incoming: Suppression,
): Suppression | undefined {
  const onFile = existing === undefined ? [] : standingReasons(existing);
  const added = standingReasons(incoming).filter(
    (candidate) => !onFile.some((standing) => standing.reason === candidate.reason),
  );
  if (added.length === 0) return undefined;
  const reasons = [...onFile, ...added];
  const erased = reasons.some(({ reason }) => reason === 'erased');
  // Where the address's owner was erased, feedback that arrives later (a bounce of mail sent before,
  // read before the erasure's sweep) writes nothing back that links the hash to them. An operator's
  // block added later keeps its address and note: that is the operator's own new act.
  return entryOf(incoming.emailHash, erased ? reasons.map(withoutLinkingIds) : reasons);
}

/**
 * A reason without the ids that link the address's hash to a contact's records or to SES's logs (the
 * contact, the email, SES's feedback id). A copy at another address (an address change) and a person's
 * export leave them out, as they may be someone else's; so does every reason of an entry whose owner was
 * erased (`suppressionWith`).
 */
export function withoutLinkingIds<R extends StandingReason>(
  standing: R,
): Omit<R, 'contactId' | 'messageId' | 'sourceEventId'> {
  const { contactId: _contact, messageId: _message, sourceEventId: _source, ...rest } = standing;
  return rest;
}

/**
 * What remains of the entry once the reasons `lifts` says yes to are lifted: undefined when none remains
 * (the entry goes). The strongest remaining reason moves to the top.
 */
export function suppressionWithout(
  existing: Suppression,
  lifts: (reason: SuppressionReason) => boolean,
): Suppression | undefined {
  return entryOf(
    existing.emailHash,
    standingReasons(existing).filter((standing) => !lifts(standing.reason)),
  );
}

/**
 * What a reason on the address's suppression keeps once the person is erased: the reason, when it began,
 * and the operator's key that made a block. The address and the note go (the operator's block holds them;
 * the note is free text that may name the person), and so do the contact id, message id and source event
 * id (SES feedback, an address opt-out): each links the keyed hash to the erased contact's kept records
 * (their anonymised ledger and send records keep those ids) or to SES's logs, which hold the address.
 */
export function anonymisedReason({ reason, createdAt, createdBy }: StandingReason): StandingReason {
  return { reason, createdAt, ...(createdBy === undefined ? {} : { createdBy }) };
}
