import type { AnnouncementCategory } from '../sending/message-types';
import type { Locale } from './locales';

/**
 * The sentences of the footer the compliance policy adds to every message we send, per supported
 * language. Plain strings and small functions; `shared/sending/footer.ts` escapes them for HTML.
 */

export interface FooterMessages {
  /** CAN-SPAM ad identification (consent not affirmative, or the sender asked for it). */
  advertisement: string;
  /** Why a marketing recipient gets this email. */
  marketingReason(list: string): string;
  /** The text of the visible unsubscribe link. */
  unsubscribe(list: string): string;
  /** The text of the preference page link. */
  preferences: string;
  /** A link in the text part: its label, then the URL. */
  labelledUrl(label: string, url: string): string;
  /** Why an account holder gets a service announcement whatever their marketing choices. */
  announcementReason(categoryLabel: string, company: string): string;
  /** Why anyone whose data is held gets a policy-change or security notice (no account needed). */
  noticeReason(categoryLabel: string, company: string): string;
  categoryLabels: Record<AnnouncementCategory, string>;
  /** The line under a transactional message. */
  transactionalNote: string;
  /** The line under a referral invitation: the friend never asked for anything. */
  referralNote: string;
}

const en: FooterMessages = {
  advertisement: 'This message is an advertisement.',
  marketingReason: (list) => `You are receiving this email because you subscribed to ${list}.`,
  unsubscribe: (list) => `Unsubscribe from ${list}`,
  preferences: 'Manage your email preferences',
  labelledUrl: (label, url) => `${label}: ${url}`,
  announcementReason: (categoryLabel, company) =>
    `You receive this service announcement (${categoryLabel}) because you have an account with ${company}. It is not marketing and is sent whatever your marketing choices.`,
  noticeReason: (categoryLabel, company) =>
    `You receive this notice (${categoryLabel}) because ${company} holds personal data about you. It is not marketing and is sent whatever your marketing choices.`,
  categoryLabels: {
    maintenance: 'maintenance',
    'policy-change': 'change to our terms or policies',
    'security-notice': 'security notice',
    account: 'your account',
  },
  transactionalNote: 'This is a service message about a request made with your address.',
  referralNote:
    'You received this one-time invitation because someone you know suggested it. We have not stored your address.',
};

const fr: FooterMessages = {
  advertisement: 'Ce message est une publicité.',
  marketingReason: (list) => `Vous recevez cet e-mail parce que vous êtes inscrit à ${list}.`,
  unsubscribe: (list) => `Se désinscrire de ${list}`,
  preferences: 'Gérer vos préférences e-mail',
  labelledUrl: (label, url) => `${label} : ${url}`,
  announcementReason: (categoryLabel, company) =>
    `Vous recevez cette annonce de service (${categoryLabel}) parce que vous avez un compte chez ${company}. Ce n’est pas un message marketing : elle vous est envoyée quels que soient vos choix concernant le marketing.`,
  noticeReason: (categoryLabel, company) =>
    `Vous recevez cet avis (${categoryLabel}) parce que ${company} détient des données personnelles vous concernant. Ce n’est pas un message marketing : il vous est envoyé quels que soient vos choix concernant le marketing.`,
  categoryLabels: {
    maintenance: 'maintenance',
    'policy-change': 'modification de nos conditions ou politiques',
    'security-notice': 'alerte de sécurité',
    account: 'votre compte',
  },
  transactionalNote: 'Ceci est un message de service lié à une demande faite avec votre adresse.',
  referralNote:
    'Vous recevez cette invitation unique parce qu’une personne que vous connaissez l’a suggérée. Nous n’avons pas conservé votre adresse.',
};

const catalogue: Record<Locale, FooterMessages> = { en, fr };

/** The footer sentences in `locale`, English for anything unsupported. */
export const footerMessagesFor = (locale: Locale): FooterMessages => catalogue[locale] ?? en;
