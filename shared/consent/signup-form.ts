import { ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import type { ConsentText } from '../lists/consent-texts';
import type { MailingList } from '../lists/lists';
import type { TableAccess } from '../table-access';
import { MAX_TOKEN_LENGTH, type TokenData, type TokenSigner } from '../tokens';
import { currentWordingOf, type ShownWording } from './signup-lists';
import { CURRENT_TRACKING_WORDING_VERSION } from './tracking-wording';

/**
 * The signup form we render ourselves: on our own page (`viewSignupForm`) or as markup the operator pastes
 * into theirs (`getSignupFormSnippet`). It carries, signed (the `signupForm` token), the wording version
 * and language it shows for each list, so a signup from it records exactly what the person saw, even
 * after the wording changed; an altered token refuses the signup (docs/consent.md, "The hosted form").
 */

/** The most lists one form offers: what fits in a token (shared/tokens.ts `signupForm`). */
export const SIGNUP_FORM_MAX_LISTS = 10;

export interface SignupFormList {
  list: MailingList;
  consentText: ConsentText;
}

export interface SignupForm {
  locale: Locale;
  lists: SignupFormList[];
  /** The highest minimum age of the lists, when one asks for it: the form asks for the confirmation. */
  minimumAge: number | null;
  /** Some list tracks opens per person: the form offers the (unticked) tracking checkbox. */
  trackingOffered: boolean;
  /** The signed wording versions: the form's hidden `formVersions` field. */
  formVersions: string;
}

/** The form for `listIds` in `locale`, with each list's current wording; 400 for an unknown list. */
export async function signupFormFor(
  deps: { access: TableAccess; tokens: TokenSigner },
  request: { listIds: string[]; locale: Locale },
): Promise<SignupForm> {
  const lists = await currentWordingOf(deps.access, request.listIds, request.locale);
  const shown = lists.map(({ list, consentText }) => ({
    listId: list.listId,
    version: consentText.version,
    locale: consentText.locale,
  }));
  const ages = lists.flatMap(({ list }) => (list.minimumAge === null ? [] : [list.minimumAge]));
  const trackingOffered = lists.some(({ list }) => list.trackingMode === 'per-person');
  const tracking = { version: CURRENT_TRACKING_WORDING_VERSION, locale: request.locale };
  return {
    locale: request.locale,
    lists,
    minimumAge: ages.length === 0 ? null : Math.max(...ages),
    trackingOffered,
    formVersions: signedVersions(deps.tokens, { shown, ...(trackingOffered ? { tracking } : {}) }),
  };
}

/** The form's signed field; lists whose ids are too long to fit in one token are refused (400). */
function signedVersions(tokens: TokenSigner, data: TokenData<'signupForm'>): string {
  const token = tokens.sign('signupForm', data);
  if (token.length <= MAX_TOKEN_LENGTH) return token;
  throw new ValidationError('The request is not valid; see details.', [
    { path: 'query.lists', message: 'too many or too long list ids for one form: ask for fewer lists' },
  ]);
}

/** What a submitted form showed: each list's wording and, if it offered tracking, the tracking wording. */
export interface ShownForm {
  lists: ShownWording;
  tracking: TokenData<'signupForm'>['tracking'];
}

/**
 * The wordings a submitted form showed, from its signed field, verified once for both. Anything but a
 * genuine token of ours (an edited version, a token for something else) is a 400 and nothing is written.
 */
export function shownFormOf(tokens: TokenSigner, formVersions: string): ShownForm {
  const { shown, tracking } = verifiedForm(tokens, formVersions);
  return {
    lists: Object.fromEntries(shown.map(({ listId, version, locale }) => [listId, { version, locale }])),
    tracking,
  };
}

function verifiedForm(tokens: TokenSigner, formVersions: string): TokenData<'signupForm'> {
  const verified = tokens.verify('signupForm', formVersions);
  if (verified.ok) return verified.data;
  throw new ValidationError('The request is not valid; see details.', [
    { path: 'body.formVersions', message: 'is not the signed wording of one of our forms (altered?)' },
  ]);
}
