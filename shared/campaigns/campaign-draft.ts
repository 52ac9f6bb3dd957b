import type { Contact } from '../contacts/contacts';
import { isSupportedLocale, type Locale } from '../i18n/locales';
import { announcementBody } from '../sending/announcements';
import type { ContentVersion, ContentVersions, MessageDraft } from '../sending/message-types';
import type { CampaignContent, CampaignVersion } from './campaigns';
import { fillPlaceholders, type Placeholder, personalise } from './personalise';

/** How a draft's placeholders are filled: per part, since HTML and text escape differently. */
export type PlaceholderFill = (placeholder: Placeholder, part: 'html' | 'text') => string;

/**
 * The draft one recipient's message starts from: the campaign's content in every language, personalised
 * for them (the policy picks their locale's version and checks the others). With `fill`, the
 * placeholders are filled by it instead (the campaign worker's template, bulk-template.ts).
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
  const kind = campaign.kind;
  /** One version, personalised; an announcement's effective date in the version's language. */
  const version = (content: CampaignVersion, locale: Locale): ContentVersion => {
    const html = content.html === null ? null : part(content.html, 'html');
    const text = content.text === null ? null : part(content.text, 'text');
    const subject = part(content.subject, 'text');
    const body =
      kind === 'announcement'
        ? announcementBody({ html, text }, locale, campaign.policyEffectiveDate)
        : { ...(html === null ? {} : { html }), ...(text === null ? {} : { text }) };
    return { subject, ...body };
  };
  // The fallback speaks the recipient's language where it adds words of ours (the effective date).
  const fallback = version(campaign, isSupportedLocale(contact.locale) ? contact.locale : 'en');
  const versions: ContentVersions = {};
  for (const [locale, content] of Object.entries(campaign.versions ?? {})) {
    if (content !== undefined && isSupportedLocale(locale) && locale !== 'en') {
      versions[locale] = version(content, locale);
    }
  }
  const localised = Object.keys(versions).length === 0 ? {} : { versions };
  if (kind === 'announcement') {
    return {
      kind: 'announcement',
      category: campaign.category ?? undefined,
      audience:
        campaign.audience.type === 'all-contacts' || campaign.audience.type === 'chosen-contacts'
          ? 'everyone-concerned'
          : 'account-holders',
      ...fallback,
      ...localised,
      ...(campaign.promotionalOverride ? { promotionalOverride: campaign.promotionalOverride } : {}),
    };
  }
  return {
    kind: 'marketing',
    listId: campaign.audience.type === 'list' ? campaign.audience.listId : undefined,
    ...fallback,
    ...localised,
    advertisement: campaign.advertisement,
    tracking: campaign.tracking,
  };
}
