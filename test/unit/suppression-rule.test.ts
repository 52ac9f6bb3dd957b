import { describe, expect, it } from 'vitest';
import { importedSubscriptionStatus, personsChoiceStanding } from '../../shared/consent/consent-authority';
import { scopeOfReason } from '../../shared/data-model/suppression-items';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import type { MessageDraft, RecipientState } from '../../shared/sending/message-types';
import {
  reasonsStrongestFirst,
  type Suppression,
  type SuppressionReason,
  standingReasons,
  suppressionWith,
  suppressionWithout,
} from '../../shared/suppressions/suppression-rule';
import { policyContext, subscriberState } from '../support/campaign-fixtures';

/**
 * The one rule for an address with several reasons to be suppressed (docs/suppressions.md, "One address,
 * several reasons"), as pure functions: every reason stands whatever the order they came in, the
 * strongest decides, and lifting one leaves the others.
 */

const entry = (reason: SuppressionReason, createdAt: string): Suppression => ({
  emailHash: 'h',
  reason,
  scope: scopeOfReason[reason],
  createdAt,
  sourceEventId: `source-${reason}`,
});

const reasonsOf = (suppression: Suppression | undefined) =>
  suppression === undefined ? [] : standingReasons(suppression).map(({ reason }) => reason);

const pairs = reasonsStrongestFirst.flatMap((a) =>
  reasonsStrongestFirst.filter((b) => b !== a).map((b) => [a, b] as const),
);

describe('the suppression rule', () => {
  it.each(pairs)(
    '%s then %s: both stand, the stronger on top with its own time and scope',
    (first, second) => {
      const once = suppressionWith(undefined, entry(first, 't1'));
      const twice = suppressionWith(once, entry(second, 't2'));
      const stronger =
        reasonsStrongestFirst.indexOf(first) < reasonsStrongestFirst.indexOf(second) ? first : second;
      expect(twice).toMatchObject({
        reason: stronger,
        scope: scopeOfReason[stronger],
        createdAt: stronger === first ? 't1' : 't2',
      });
      expect(reasonsOf(twice).sort()).toEqual([first, second].sort());
      // The other order ends in the same reasons, the same one deciding.
      const otherOrder = suppressionWith(suppressionWith(undefined, entry(second, 't2')), entry(first, 't1'));
      expect(otherOrder).toEqual(twice);
    },
  );

  it('a reason already standing adds nothing (and keeps its first time)', () => {
    const onFile = suppressionWith(
      suppressionWith(undefined, entry('complaint', 't1')),
      entry('soft-bounces', 't2'),
    );
    expect(onFile && suppressionWith(onFile, entry('complaint', 't3'))).toBeUndefined();
    expect(onFile?.underlying).toEqual([expect.objectContaining({ reason: 'complaint', createdAt: 't1' })]);
  });

  it('lifting the top reason puts the strongest remaining one on top; lifting every reason leaves nothing', () => {
    let onFile: Suppression | undefined;
    for (const reason of ['unsubscribed', 'admin', 'complaint', 'soft-bounces'] as const) {
      onFile = suppressionWith(onFile, entry(reason, `t-${reason}`));
    }
    if (onFile === undefined) throw new Error('nothing on file');
    expect(reasonsOf(onFile)).toEqual(['admin', 'soft-bounces', 'complaint', 'unsubscribed']);
    const lifted = suppressionWithout(onFile, (reason) => reason === 'admin');
    expect(lifted).toMatchObject({ reason: 'soft-bounces', scope: 'all', createdAt: 't-soft-bounces' });
    expect(reasonsOf(lifted)).toEqual(['soft-bounces', 'complaint', 'unsubscribed']);
    expect(suppressionWithout(onFile, () => true)).toBeUndefined();
  });
});

describe('the ranking against the send policy', () => {
  const holder = (reason: SuppressionReason | null): RecipientState =>
    subscriberState({
      accountHolder: true,
      accountStatus: 'active',
      rightsRequest: { rightsRequestId: 'rr_1', contactId: 'c_1', status: 'verified' },
      suppression: reason === null ? null : { reason, scope: scopeOfReason[reason] },
    });
  const drafts: [string, MessageDraft][] = [
    ['marketing', { kind: 'marketing', listId: 'news', subject: 'News', text: 'The news.' }],
    [
      'maintenance',
      { kind: 'announcement', category: 'maintenance', subject: 'Maintenance', text: 'Sunday.' },
    ],
    [
      'security notice',
      { kind: 'announcement', category: 'security-notice', subject: 'Security', text: 'We reset it.' },
    ],
    [
      'confirmation',
      { kind: 'transactional', purpose: 'confirmation', subject: 'Confirm', text: 'Confirm.' },
    ],
    [
      'data request',
      {
        kind: 'transactional',
        purpose: 'data-request',
        rightsRequestId: 'rr_1',
        subject: 'Data',
        text: 'Ready.',
      },
    ],
  ];
  const sends = (draft: MessageDraft, reason: SuppressionReason | null) =>
    complianceCheck(draft, holder(reason), { messageId: 'm_1' }, policyContext).allowed;

  it.each(drafts)('a %s goes to an unsuppressed account holder (the baseline)', (_, draft) => {
    expect(sends(draft, null)).toBe(true);
  });

  // The top reason alone decides a send: so it must stop at least what every reason beneath it stops.
  it.each(drafts)('a %s that any reason stops is stopped by every stronger reason', (_, draft) => {
    reasonsStrongestFirst.forEach((reason, index) => {
      if (sends(draft, reason)) return;
      for (const stronger of reasonsStrongestFirst.slice(0, index)) {
        expect(sends(draft, stronger), `${stronger} lets through what ${reason} stops`).toBe(false);
      }
    });
  });
});

describe("an import's hold on an address", () => {
  const at = '2026-12-07T10:00:00.000Z';
  it("is named after the person's own choice that holds it, beneath a stronger reason too", () => {
    const bounceOverComplaint: Suppression = {
      emailHash: 'h',
      reason: 'hard-bounce',
      scope: 'all',
      createdAt: at,
      underlying: [{ reason: 'complaint', createdAt: at }],
    };
    expect(personsChoiceStanding(bounceOverComplaint)).toBe('complaint');
    expect(importedSubscriptionStatus(bounceOverComplaint)).toBe('unconfirmed');
    const bounceAlone: Suppression = { emailHash: 'h', reason: 'hard-bounce', scope: 'all', createdAt: at };
    expect(personsChoiceStanding(bounceAlone)).toBeUndefined();
    expect(importedSubscriptionStatus(bounceAlone)).toBe('confirmed');
    expect(importedSubscriptionStatus(undefined)).toBe('confirmed');
  });
});
