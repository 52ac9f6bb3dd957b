import type { ComplianceContext } from '../sending/compliance-policy';
import type { RecipientState } from '../sending/message-types';
import { type BulkTemplateResult, buildBulkTemplate, bulkVariantKey } from './bulk-template';
import type { Campaign } from './campaigns';

/**
 * Templates by campaign and variant, kept for the life of the process: the footer is placed once per
 * variant (about 30 ms for a 70 KB body), not once per recipient or per chunk. A campaign's content does
 * not change once it runs; the variant key holds what else the decoration reads (locale, list name…).
 */

const MAX_TEMPLATES = 64;
const templates = new Map<string, BulkTemplateResult>();

export function templateFor(
  campaign: Campaign,
  recipient: RecipientState,
  context: ComplianceContext,
): BulkTemplateResult {
  const key = JSON.stringify([
    campaign.campaignId,
    bulkVariantKey(recipient),
    context.baseUrl,
    context.sender,
  ]);
  const known = templates.get(key);
  if (known !== undefined) return known;
  const built = buildBulkTemplate(campaign, recipient, context);
  if (templates.size >= MAX_TEMPLATES) templates.delete(templates.keys().next().value as string);
  templates.set(key, built);
  return built;
}
