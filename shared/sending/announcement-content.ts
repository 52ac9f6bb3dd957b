import { type HiddenElement, visibleContent } from '../email/visible-text';
import type { Refusal } from './message-types';
import { findPromotionalTerms } from './promotional-heuristic';

/**
 * The content rules of a service announcement (16 CFR 316.3: its primary purpose must not be commercial),
 * judged on what a reader sees:
 *
 * - nothing hidden: an HTML part that hides text (visible-text.ts) is refused whatever the override, since
 *   what nobody can read in the message cannot be judged by reading it, and it still shows in inbox
 *   previews;
 * - no promotional wording (promotional-heuristic.ts) in the subject, the text part, or the visible text of
 *   the HTML part, each read whole: a window over the start of the body is defeated by a long neutral
 *   preamble, and reading 500 KB with a few dozen patterns takes milliseconds. A non-blank
 *   `promotionalOverride.reason` lets wording through and is recorded with the exemption.
 */

export interface AnnouncementContent {
  subject: string;
  text: string | undefined;
  html: string | undefined;
}

export interface AnnouncementJudgement {
  refusals: Refusal[];
  /** Set when promotional wording was found and let through by the sender's reason. */
  promotionalOverride?: { reason: string };
}

const HIDDEN_LISTED = 3;

export function judgeAnnouncementContent(
  content: AnnouncementContent,
  overrideReason: string | undefined,
): AnnouncementJudgement {
  const visible = content.html === undefined ? undefined : visibleContent(content.html);
  const refusals: Refusal[] = [];
  if (visible !== undefined && visible.hidden.length > 0) refusals.push(hiddenContentRefusal(visible.hidden));

  const promotion = findPromotion({ ...content, visibleHtmlText: visible?.text });
  if (promotion === null) return { refusals };
  const override = overrideReason?.trim();
  if (override) return { refusals, promotionalOverride: { reason: override } };
  const { terms, field } = promotion;
  refusals.push({
    code: 'promotional_announcement',
    message: `A service announcement must not promote anything, and this one looks promotional (${terms
      .map((term) => `"${term}"`)
      .join(
        ', ',
      )}). Send it as marketing to a list, or give promotionalOverride.reason if it is not promotional.`,
    field,
  });
  return { refusals };
}

/**
 * The promotional terms a reader would see in the subject, the text part and the visible text of the HTML
 * part, each read whole, and the first field they appear in; null when there are none. Announcements and
 * data-request emails are both judged by it.
 */
export function findPromotion(content: {
  subject: string;
  text: string | undefined;
  visibleHtmlText: string | undefined;
}): { terms: string[]; field: string } | null {
  const found = [
    { field: 'subject', terms: termsIn(content.subject) },
    { field: 'text', terms: termsIn(content.text) },
    { field: 'html', terms: termsIn(content.visibleHtmlText) },
  ].filter((entry) => entry.terms.length > 0);
  const first = found[0];
  if (first === undefined) return null;
  return { terms: [...new Set(found.flatMap((entry) => entry.terms))], field: first.field };
}

const termsIn = (text: string | undefined) =>
  text === undefined ? [] : findPromotionalTerms(text).map((match) => match.term);

function hiddenContentRefusal(hidden: readonly HiddenElement[]): Refusal {
  const listed = hidden
    .slice(0, HIDDEN_LISTED)
    .map((entry) => `<${entry.element}> ${entry.reason}: "${entry.excerpt}"`)
    .join('; ');
  const more = hidden.length > HIDDEN_LISTED ? ` and ${hidden.length - HIDDEN_LISTED} more` : '';
  return {
    code: 'announcement_hidden_content',
    message: `A service announcement must show everything it says, and this HTML part hides text from the reader (${listed}${more}). Remove the hidden content or make it visible; promotionalOverride does not apply.`,
    field: 'html',
  };
}
