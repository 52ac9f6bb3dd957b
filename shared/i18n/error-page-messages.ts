import type { Locale } from './locales';

/**
 * The wording of the error pages people see on human-facing routes (shared/http/error-responses.ts). An
 * error's own message is English, written for API callers; a page in another language says the sentence
 * for the error's stable code instead, so a French page never shows English. Codes without a sentence of
 * their own get the language's general one.
 */

export interface ErrorPageMessages {
  titles: Partial<Record<number, string>> & { default: string };
  invalidInput: string;
  reference: string;
  /** What the page says about an error, from its code (and, on English pages, its own message). */
  sentence(code: string, englishMessage: string): string;
}

/** The codes a person can meet on a page: link, form and body checks, and the failures of any request. */
export const pageErrorCodes = [
  'bad_request',
  'validation_failed',
  'invalid_token',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'not_a_subscriber',
  'consent_rule',
  'rate_limited',
  'dependency_unavailable',
  'internal_error',
] as const;
export type PageErrorCode = (typeof pageErrorCodes)[number];

const en: ErrorPageMessages = {
  titles: {
    400: 'That link or form did not look right',
    404: 'We could not find that page',
    413: 'That was more than this form accepts',
    429: 'Too many attempts',
    503: 'We are briefly unavailable',
    default: 'Something went wrong',
  },
  invalidInput: 'Please go back and check:',
  reference: 'Reference',
  sentence: (_code, englishMessage) => englishMessage,
};

const frSentences: Record<PageErrorCode, string> = {
  bad_request: 'Nous n’avons pas pu lire cette demande. Revenez en arrière et réessayez.',
  validation_failed: 'Un élément du formulaire n’est pas correct. Revenez en arrière et vérifiez-le.',
  invalid_token: 'Ce lien n’est pas valide. Utilisez le lien d’un e-mail récent.',
  not_found: 'Il n’y a rien ici. Vérifiez l’adresse, ou utilisez le lien d’un e-mail récent.',
  method_not_allowed: 'Cette page ne s’utilise pas de cette façon.',
  payload_too_large: 'Cet envoi dépasse ce que ce formulaire accepte.',
  unsupported_media_type: 'Ce formulaire a été envoyé sous une forme que nous ne savons pas lire.',
  not_a_subscriber: 'Seuls les abonnés confirmés peuvent inviter un ami : confirmez d’abord un abonnement.',
  consent_rule: 'Ce changement n’est pas possible de cette façon.',
  rate_limited: 'Trop de tentatives. Patientez un peu, puis réessayez.',
  dependency_unavailable: 'Un service dont nous dépendons n’a pas répondu. Réessayez dans un instant.',
  internal_error: 'Une erreur s’est produite de notre côté. Réessayez plus tard.',
};

const fr: ErrorPageMessages = {
  titles: {
    400: 'Ce lien ou ce formulaire ne semble pas correct',
    404: 'Nous n’avons pas trouvé cette page',
    413: 'Cet envoi dépasse ce que ce formulaire accepte',
    429: 'Trop de tentatives',
    503: 'Service momentanément indisponible',
    default: 'Une erreur est survenue',
  },
  invalidInput: 'Merci de revenir en arrière et de vérifier :',
  reference: 'Référence',
  sentence: (code) =>
    (frSentences as Partial<Record<string, string>>)[code] ??
    'Nous n’avons pas pu donner suite à cette demande. Revenez en arrière et réessayez.',
};

const catalogue: Record<Locale, ErrorPageMessages> = { en, fr };

export const errorPageMessagesFor = (locale: Locale): ErrorPageMessages => catalogue[locale];
