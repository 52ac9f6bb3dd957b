import type { Locale } from './locales';

/**
 * Every sentence consent-mail shows or sends to a person, in each supported language. Plain strings and
 * small functions; callers escape for HTML.
 */

export interface Messages {
  listNames(names: string[]): string;
  confirmationEmail: {
    subject(lists: string): string;
    intro(lists: string, company: string): string;
    action: string;
    expiry(days: number): string;
    ignore: string;
  };
  welcomeEmailIntro(list: string): string;
  transactionalFooter(company: string, postalAddress: string): string;
  errorPages: {
    titles: Partial<Record<number, string>> & { default: string };
    invalidInput: string;
    reference: string;
  };
  pages: {
    signupReceivedTitle: string;
    signupReceivedBody: string;
    confirmTitle: string;
    confirmBody: string;
    confirmButton: string;
    confirmedTitle: string;
    confirmedBody(lists: string): string;
    invalidLinkTitle: string;
    invalidLinkBody: string;
    signUpAgain: string;
  };
}

function joinNames(names: string[], and: string): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} ${and} ${names.at(-1)}`;
}

const en: Messages = {
  listNames: (names) => joinNames(names, 'and'),
  confirmationEmail: {
    subject: (lists) => `Please confirm your subscription to ${lists}`,
    intro: (lists, company) =>
      `Someone, hopefully you, asked to receive ${lists} from ${company} at this address. Please confirm that it was you.`,
    action: 'Confirm my subscription',
    expiry: (days) => `This link works for ${days} ${days === 1 ? 'day' : 'days'}.`,
    ignore:
      'If you did not ask for this, ignore this email: you will not be subscribed, and we will not write to you about it again.',
  },
  welcomeEmailIntro: (list) => `Welcome to ${list}.`,
  transactionalFooter: (company, postalAddress) =>
    `${company}, ${postalAddress}. This is a service message about a request made with your address.`,
  errorPages: {
    titles: {
      400: 'That link or form did not look right',
      404: 'We could not find that page',
      429: 'Too many attempts',
      503: 'We are briefly unavailable',
      default: 'Something went wrong',
    },
    invalidInput: 'Please go back and check:',
    reference: 'Reference',
  },
  pages: {
    signupReceivedTitle: 'Thank you, check your inbox',
    signupReceivedBody:
      'If a confirmation is needed, we have sent an email with a link to confirm your subscription. Nothing is sent to you until you confirm. It can take a few minutes; check your spam folder too.',
    confirmTitle: 'Confirm your subscription',
    confirmBody: 'Press the button to confirm that you want to receive:',
    confirmButton: 'Confirm my subscription',
    confirmedTitle: 'Your subscription is confirmed',
    confirmedBody: (lists) =>
      `Thank you. You will receive ${lists}. Every email has a link to unsubscribe at any time.`,
    invalidLinkTitle: 'This link has expired or is not valid',
    invalidLinkBody: 'Nothing has changed. If you still want to subscribe, please sign up again.',
    signUpAgain: 'Sign up again',
  },
};

const fr: Messages = {
  listNames: (names) => joinNames(names, 'et'),
  confirmationEmail: {
    subject: (lists) => `Merci de confirmer votre inscription : ${lists}`,
    intro: (lists, company) =>
      `Quelqu’un, vous sans doute, a demandé à recevoir ${lists} de ${company} à cette adresse. Merci de confirmer que c’était bien vous.`,
    action: 'Confirmer mon inscription',
    expiry: (days) => `Ce lien reste valable ${days} ${days === 1 ? 'jour' : 'jours'}.`,
    ignore:
      'Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : vous ne serez pas inscrit et nous ne vous écrirons plus à ce sujet.',
  },
  welcomeEmailIntro: (list) => `Bienvenue : ${list}.`,
  transactionalFooter: (company, postalAddress) =>
    `${company}, ${postalAddress}. Ceci est un message de service lié à une demande faite avec votre adresse.`,
  errorPages: {
    titles: {
      400: 'Ce lien ou ce formulaire ne semble pas correct',
      404: 'Nous n’avons pas trouvé cette page',
      429: 'Trop de tentatives',
      503: 'Service momentanément indisponible',
      default: 'Une erreur est survenue',
    },
    invalidInput: 'Merci de revenir en arrière et de vérifier :',
    reference: 'Référence',
  },
  pages: {
    signupReceivedTitle: 'Merci, consultez votre boîte de réception',
    signupReceivedBody:
      'Si une confirmation est nécessaire, nous vous avons envoyé un e-mail contenant un lien pour confirmer votre inscription. Rien ne vous sera envoyé avant votre confirmation. Cela peut prendre quelques minutes ; pensez à vérifier vos courriers indésirables.',
    confirmTitle: 'Confirmez votre inscription',
    confirmBody: 'Appuyez sur le bouton pour confirmer que vous souhaitez recevoir :',
    confirmButton: 'Confirmer mon inscription',
    confirmedTitle: 'Votre inscription est confirmée',
    confirmedBody: (lists) =>
      `Merci. Vous recevrez ${lists}. Chaque e-mail contient un lien pour vous désinscrire à tout moment.`,
    invalidLinkTitle: 'Ce lien a expiré ou n’est pas valide',
    invalidLinkBody: 'Rien n’a été modifié. Si vous souhaitez toujours vous inscrire, merci de recommencer.',
    signUpAgain: 'M’inscrire à nouveau',
  },
};

const catalogue: Record<Locale, Messages> = { en, fr };

export const messagesFor = (locale: Locale): Messages => catalogue[locale];
