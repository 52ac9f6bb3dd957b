import type { Contact } from '../contacts/contacts';
import { isSupportedLocale, type Locale } from '../i18n/locales';
import { announcementBody } from '../sending/announcements';
import type { ContentVersion, ContentVersions, MessageDraft } from '../sending/message-types';
import type { CampaignContent, CampaignVersion } from './campaigns';
import {
  fillPlaceholders,
  type Personalisation,
  type Placeholder,
  personalise,
  placeholderValue,
} from './personalise';

/** How a draft's placeholders are filled: per part, since HTML and text escape differently. */
export type PlaceholderFill = (placeholder: Placeholder, part: 'html' | 'text') => string;

/** How one field of a version becomes the draft's: the subject and each body part. */
type FieldOf = (content: CampaignVersion, field: 'subject' | 'html' | 'text', template: string) => string;

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
  return draftOf(campaign, contact, (_, field, template) => {
    const format = field === 'html' ? 'html' : 'text';
    return fill === undefined
      ? personalise(template, who, format)
      : fillPlaceholders(template, (placeholder) => fill(placeholder, format));
  });
}

/**
 * The draft the campaign worker's per-recipient rules judge (compliance-policy.ts, `recipientRules`):
 * the subject personalised, as sent; each body part only as far as those rules read it, whether it is
 * blank. A part whose own text (placeholders aside) is not blank is never blank, whatever the name, so
 * it stands in as a constant; one whose own text is blank is blank exactly when every value filled into
 * it is (HTML escaping leaves a value blank or not), so it stands in as those values run together. The
 * body itself is checked and decorated once per template variant (bulk-template.ts), not personalised
 * per recipient (docs/campaigns.md, "One check per variant").
 */
export function recipientDraft(
  campaign: CampaignContent,
  contact: Pick<Contact, 'name' | 'locale'>,
): MessageDraft {
  const who = { name: contact.name };
  return draftOf(campaign, contact, (content, field, template) =>
    field === 'subject' ? personalise(template, who, 'text') : bodyPresence(content, field, who),
  );
}

const NOT_BLANK = 'body';

/**
 * Per version object and part: null when the part has text of its own, else its placeholders. A chunk's
 * recipients share one campaign object, so each part is read once per chunk, not once per recipient.
 */
const shapes = new WeakMap<CampaignVersion, { html?: Placeholder[] | null; text?: Placeholder[] | null }>();

function bodyPresence(content: CampaignVersion, part: 'html' | 'text', who: Personalisation): string {
  let known = shapes.get(content);
  if (known === undefined) {
    known = {};
    shapes.set(content, known);
  }
  let placeholders = known[part];
  if (placeholders === undefined) {
    const found: Placeholder[] = [];
    const own = fillPlaceholders(content[part] ?? '', (placeholder) => {
      found.push(placeholder);
      return '';
    });
    placeholders = own.trim() === '' ? found : null;
    known[part] = placeholders;
  }
  if (placeholders === null) return NOT_BLANK;
  return placeholders.map((placeholder) => placeholderValue(placeholder, who)).join('');
}

function draftOf(campaign: CampaignContent, contact: Pick<Contact, 'locale'>, field: FieldOf): MessageDraft {
  const kind = campaign.kind;
  /** One version, personalised; an announcement's effective date in the version's language. */
  const version = (content: CampaignVersion, locale: Locale): ContentVersion => {
    const html = content.html === null ? null : field(content, 'html', content.html);
    const text = content.text === null ? null : field(content, 'text', content.text);
    const subject = field(content, 'subject', content.subject);
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
