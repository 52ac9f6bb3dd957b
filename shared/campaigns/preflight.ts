import { RefusedError, ValidationError } from '../errors';
import { complianceCheck } from '../sending/compliance-policy';
import type { RecipientState } from '../sending/message-types';
import type { SendDependencies } from '../sending/send-message';
import { campaignDraft } from './campaign-draft';
import type { CampaignContent } from './campaigns';
import { unknownPlaceholders } from './personalise';

/**
 * Checks a campaign's content before it is stored: unknown placeholders are a 400, and the compliance
 * policy runs once against a recipient who consented to everything, so whatever it still refuses (a fake
 * `RE:`, a header injection, promotional wording in an announcement) is a problem of the content and is
 * answered now (422) instead of being skipped a million times later.
 */
export function preflightCampaign(
  content: CampaignContent,
  deps: Pick<SendDependencies, 'sender' | 'baseUrl' | 'tokens'>,
) {
  const fields = { subject: content.subject, html: content.html ?? '', text: content.text ?? '' };
  const details = Object.entries(fields).flatMap(([field, template]) =>
    unknownPlaceholders(template).map((placeholder) => ({
      path: field,
      message: `unknown placeholder ${placeholder}; use {{firstName}} or {{name}}, optionally {{firstName|fallback}}`,
    })),
  );
  if (details.length > 0) throw new ValidationError('The campaign is malformed.', details);

  const listId = content.audience.type === 'list' ? content.audience.listId : 'preflight';
  const everyoneWilling: RecipientState = {
    contactId: 'preflight',
    email: 'preflight@example.com',
    name: 'Preflight Check',
    locale: 'en',
    accountHolder: true,
    accountStatus: 'active',
    trackingConsent: true,
    marketingOptOut: false,
    suppression: null,
    subscription: { status: 'confirmed', consentText: null, affirmative: true },
    list: { listId, name: listId, trackingAllowedByDefault: true },
  };
  const decision = complianceCheck(
    campaignDraft(content, { name: everyoneWilling.name, locale: 'en' }),
    everyoneWilling,
    { messageId: 'preflight', campaignId: 'preflight' },
    deps,
  );
  if (!decision.allowed) {
    throw new RefusedError(
      decision.refusals[0]?.code ?? 'refused',
      'The compliance policy would refuse this campaign for every recipient; see details.',
      decision.refusals.map((refusal) => ({
        path: refusal.field ?? 'campaign',
        message: refusal.message,
        code: refusal.code,
      })),
    );
  }
}
