import type { Contact } from '../contacts/contacts';
import { announcementBody } from '../sending/announcements';
import type { MessageDraft } from '../sending/message-types';
import type { CampaignContent } from './campaigns';
import { fillPlaceholders, type Placeholder, personalise } from './personalise';

/** How a draft's placeholders are filled: per part, since HTML and text escape differently. */
export type PlaceholderFill = (placeholder: Placeholder, part: 'html' | 'text') => string;

/**
 * The draft one recipient's message starts from: the campaign's content, personalised for them. With
 * `fill`, the placeholders are filled by it instead (the campaign worker's template, bulk-template.ts).
 */
export function campaignDraft(
  campaign: CampaignContent,
  contact: Pick<Contact, 'name' | 'locale'>,
  fill?: PlaceholderFill,
): MessageDraft {
  const who = { name: contact.name };
  const part = (template: string, format: 'html' | 'text') =>
    fill === undefined
      ? personalise(template, who, format)
      : fillPlaceholders(template, (placeholder) => fill(placeholder, format));
  const html = campaign.html === null ? null : part(campaign.html, 'html');
  const text = campaign.text === null ? null : part(campaign.text, 'text');
  const subject = part(campaign.subject, 'text');
  if (campaign.kind === 'announcement') {
    return {
      kind: 'announcement',
      category: campaign.category ?? undefined,
      audience:
        campaign.audience.type === 'all-contacts' || campaign.audience.type === 'chosen-contacts'
          ? 'everyone-concerned'
          : 'account-holders',
      subject,
      ...announcementBody({ html, text }, contact.locale, campaign.policyEffectiveDate),
      ...(campaign.promotionalOverride ? { promotionalOverride: campaign.promotionalOverride } : {}),
    };
  }
  return {
    kind: 'marketing',
    listId: campaign.audience.type === 'list' ? campaign.audience.listId : undefined,
    subject,
    ...(html === null ? {} : { html }),
    ...(text === null ? {} : { text }),
    advertisement: campaign.advertisement,
    tracking: campaign.tracking,
  };
}
