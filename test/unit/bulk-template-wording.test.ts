import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBulkTemplate } from '../../shared/campaigns/bulk-template';
import { campaignDraft } from '../../shared/campaigns/campaign-draft';
import type { Campaign } from '../../shared/campaigns/campaigns';
import { PLACEHOLDER_EDGE } from '../../shared/campaigns/personalise';
import { preflightCampaign } from '../../shared/campaigns/preflight';
import { AppError } from '../../shared/errors';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import type { PolicyDecision, Refusal } from '../../shared/sending/message-types';
import { findPromotionalTerms, promotionalPatterns } from '../../shared/sending/promotional-heuristic';
import { accountHolderState, policyContext, storedAnnouncement } from '../support/campaign-fixtures';

/**
 * The worker judges an announcement's wording once per variant, on its template, where each placeholder
 * is a marker (bulk-template.ts); a single send judges each personalised copy. Operator text glued to a
 * placeholder (`{{firstName|there}}SALE`) must be judged alike: as a word of its own, as a reader named
 * `Jo.` reads it (docs/campaigns.md, "One check per variant").
 */

const isPromotional = (refusals: readonly Refusal[]) =>
  refusals.some((refusal) => refusal.code === 'promotional_announcement');
const refusalsOf = (decision: PolicyDecision) => (decision.allowed ? [] : decision.refusals);

/** Whether the worker's template for an account holder refuses the wording (every recipient's verdict). */
function templateRefuses(campaign: Campaign): boolean {
  const result = buildBulkTemplate(campaign, accountHolderState(), policyContext);
  return !result.ok && isPromotional(result.refusals);
}

/** Whether a single send of this reader's personalised copy is refused for its wording. */
function copyRefuses(campaign: Campaign, name: string | null): boolean {
  const decision = complianceCheck(
    campaignDraft(campaign, { name, locale: 'en' }),
    accountHolderState({ name }),
    { messageId: 'm_1', campaignId: campaign.campaignId },
    policyContext,
  );
  return isPromotional(refusalsOf(decision));
}

/** The creation check's verdict: whether createAnnouncement would answer 422 promotional_announcement. */
function creationRefuses(campaign: Campaign): boolean {
  try {
    preflightCampaign(campaign, policyContext);
    return false;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return (error.details ?? []).some((detail) => detail.code === 'promotional_announcement');
  }
}

describe('operator text glued to a placeholder, in an announcement', () => {
  const body = { html: '<p>Maintenance tonight</p>', text: null };
  it.each([
    ['the subject', { subject: 'Maintenance {{firstName|there}}SALE', ...body }],
    ['the text part', { subject: 'Maintenance', html: null, text: 'Dear {{firstName|there}}SALE tonight' }],
    ['the HTML part', { subject: 'Maintenance', html: '<p>Dear {{firstName|there}}SALE</p>', text: null }],
    ['the HTML part, before', { subject: 'Maintenance', html: '<p>Our offer{{name|}} ends</p>', text: null }],
  ])('in %s is read as a word of its own: refused by the template and at creation', (_, content) => {
    const campaign = storedAnnouncement(content);
    // A reader named `(Jo)` reads the word; so must the check that speaks for every reader.
    expect(copyRefuses(campaign, '(Jo)')).toBe(true);
    expect(templateRefuses(campaign)).toBe(true);
    expect(creationRefuses(campaign)).toBe(true);
  });

  it('is judged by the template exactly as a copy whose name is only a word boundary, and nothing accepted at creation is refused later', () => {
    const piece = fc.constantFrom(
      'SALE',
      'offer',
      'free',
      'shipping',
      'news',
      ' ',
      '.',
      '(',
      '{{firstName}}',
      '{{firstName|there}}',
      '{{name|x}}',
      '{{name| }}',
      '{{firstName|.}}',
    );
    // Names whose own characters join no operator word into a promotional one: a name is its reader's
    // own word (a Mr Deal is not promotion), and a name ending in `-` before `20 %` is out of scope too.
    const names = ['Jo', 'Jo.', '(Jo)', '.Jo', 'Zoë', 'Ada Lovelace', null, PLACEHOLDER_EDGE];
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 7 }), (pieces) => {
        const campaign = storedAnnouncement({
          subject: 'Maintenance tonight',
          html: null,
          text: `Hello ${pieces.join('')} tonight`,
        });
        const template = templateRefuses(campaign);
        expect(template).toBe(copyRefuses(campaign, PLACEHOLDER_EDGE));
        if (creationRefuses(campaign)) return;
        expect(template).toBe(false);
        for (const name of names) expect(copyRefuses(campaign, name)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('the boundary is one no promotional pattern contains, so no pattern matches across a placeholder', () => {
    const sources = Object.values(promotionalPatterns).flatMap((patterns) =>
      patterns.map((pattern) => pattern.source),
    );
    // No `_`, and nothing that matches any character (`\w`, `\S`, `.`, `[^…]`).
    const anyCharacter = /_|\\[wWSDB]|\[\^|(?<!\\)\.(?![^[]*\])/;
    expect(sources.filter((source) => anyCharacter.test(source))).toEqual([]);
    expect(findPromotionalTerms(`${PLACEHOLDER_EDGE}sale${PLACEHOLDER_EDGE}`)).toEqual([
      { language: 'en', term: 'sale' },
    ]);
  });
});
