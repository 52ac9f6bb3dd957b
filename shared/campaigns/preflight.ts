import { RefusedError, ValidationError } from '../errors';
import { supportedLocales } from '../i18n/locales';
import { complianceCheck } from '../sending/compliance-policy';
import type { RecipientState } from '../sending/message-types';
import type { SendDependencies } from '../sending/send-dependencies';
import { CONTACT_NAME_MAX_LENGTH } from '../validation/schemas';
import { campaignDraft } from './campaign-draft';
import type { CampaignContent, CampaignVersion } from './campaigns';
import { PLACEHOLDER_EDGE, unknownPlaceholders } from './personalise';
import { misplacedPlaceholderRefusals } from './placeholder-positions';

/**
 * Checks a campaign's content before it is stored (createCampaign and createAnnouncement both call it):
 * unknown placeholders are a 400 `validation_failed`, placeholders where they cannot stand in the HTML
 * (placeholder-positions.ts) a 400 `misplaced_placeholder`, and the compliance policy runs against a
 * recipient who consented to everything (named, nameless, and with the longest name), so whatever it
 * still refuses (a fake `RE:`, a header injection, promotional wording in an announcement, a subject left
 * empty by `{{firstName}}`) is a problem of the content and is answered now (422) instead of being skipped
 * a million times later.
 */
export function preflightCampaign(
  content: CampaignContent,
  deps: Pick<SendDependencies, 'sender' | 'baseUrl' | 'tokens'>,
) {
  const unknown = unknownPlaceholderDetails(content);
  if (unknown.length > 0) throw new ValidationError('The campaign is malformed.', unknown);
  const misplaced = misplacedPlaceholderRefusals(content);
  if (misplaced.length > 0) {
    throw new ValidationError(
      'A placeholder in the HTML stands where it cannot be filled in; see details.',
      misplaced.map((refusal) => ({
        path: refusal.field ?? 'html',
        message: refusal.message,
        code: refusal.code,
      })),
      'misplaced_placeholder',
    );
  }
  policyPreflight(content, deps);
}

function unknownPlaceholderDetails(content: CampaignContent) {
  const versions: [string, CampaignVersion][] = [
    ['', content],
    ...Object.entries(content.versions ?? {}).flatMap(([locale, version]): [string, CampaignVersion][] =>
      version === undefined ? [] : [[`content.${locale}.`, version]],
    ),
  ];
  return versions.flatMap(([prefix, version]) =>
    Object.entries({ subject: version.subject, html: version.html ?? '', text: version.text ?? '' }).flatMap(
      ([field, template]) =>
        unknownPlaceholders(template).map((placeholder) => ({
          path: `${prefix}${field}`,
          message: `unknown placeholder ${placeholder}; use {{firstName}} or {{name}}, optionally {{firstName|fallback}}`,
        })),
    ),
  );
}

/**
 * The readers the policy judges the content for. A subject must survive every name it can be
 * personalised with: none (no fallback leaves it empty) and the longest a contact may have (it may push
 * the subject past the header limit). The named reader's name is a bare word boundary, which is how the
 * worker's template reads every placeholder when it judges the wording once for all recipients
 * (PLACEHOLDER_EDGE): operator text glued to a placeholder (`{{firstName|there}}SALE`) is a word of its
 * own here as there, so what the worker would refuse for everyone is refused now.
 */
const READERS = [PLACEHOLDER_EDGE, null, 'M'.repeat(CONTACT_NAME_MAX_LENGTH)] as const;

function policyPreflight(
  content: CampaignContent,
  deps: Pick<SendDependencies, 'sender' | 'baseUrl' | 'tokens'>,
) {
  const listId = content.audience.type === 'list' ? content.audience.listId : 'preflight';
  const everyoneWilling: RecipientState = {
    contactId: 'preflight',
    email: 'preflight@example.com',
    name: PLACEHOLDER_EDGE,
    locale: 'en',
    accountHolder: true,
    accountStatus: 'active',
    trackingConsent: true,
    marketingOptOut: false,
    suppression: null,
    subscription: { status: 'confirmed', consentText: null, affirmative: true },
    list: { listId, name: listId, trackingMode: 'per-person' },
  };
  // Every language's version is decorated for a reader of that language (its footer must be visible in its
  // own HTML); each check also applies the content rules to the other versions.
  const readers = supportedLocales.flatMap((locale) => READERS.map((name) => ({ name, locale })));
  for (const { name, locale } of readers) {
    const decision = complianceCheck(
      campaignDraft(content, { name, locale }),
      { ...everyoneWilling, name, locale },
      { messageId: 'preflight', campaignId: 'preflight' },
      deps,
    );
    if (decision.allowed) continue;
    throw new RefusedError(
      decision.refusals[0]?.code ?? 'refused',
      name === PLACEHOLDER_EDGE
        ? 'The compliance policy would refuse this campaign for every recipient; see details.'
        : `The compliance policy would refuse this campaign for recipients ${name === null ? 'without a name' : 'with a long name'}; see details.`,
      decision.refusals.map((refusal) => ({
        path: refusal.field ?? 'campaign',
        message: refusal.message,
        code: refusal.code,
      })),
    );
  }
}
