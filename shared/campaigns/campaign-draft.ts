import type { Contact } from '../contacts/contacts';
import { announcementBody } from '../sending/announcements';
import type { MessageDraft } from '../sending/message-types';
import type { CampaignContent } from './campaigns';
import { personalise } from './personalise';

/** The draft one recipient's message starts from: the campaign's content, personalised for them. */
export function campaignDraft(
  campaign: CampaignContent,
  contact: Pick<Contact, 'name' | 'locale'>,
): MessageDraft {
  const who = { name: contact.name };
  const html = campaign.html === null ? null : personalise(campaign.html, who, 'html');
  const text = campaign.text === null ? null : personalise(campaign.text, who, 'text');
  const subject = personalise(campaign.subject, who, 'text');
  if (campaign.kind === 'announcement') {
    return {
      kind: 'announcement',
      category: campaign.category ?? undefined,
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
