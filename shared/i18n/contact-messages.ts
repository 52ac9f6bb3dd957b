import type { Locale } from './locales';

/**
 * What people read about their contact record: the confirmation of an address change (email and pages)
 * and the CCPA "do not sell or share" choice on the preference page. Kept apart from messages.ts so the
 * contact features own their wording.
 */

export interface ContactMessages {
  emailChangeEmail: {
    subject: (companyName: string) => string;
    intro: (companyName: string) => string;
    action: string;
    expiry: (days: number) => string;
    ignore: string;
  };
  emailChangePages: {
    confirmTitle: string;
    confirmBody: (maskedAddress: string) => string;
    confirmButton: string;
    doneTitle: string;
    doneBody: string;
    invalidTitle: string;
    invalidBody: string;
    takenTitle: string;
    takenBody: string;
  };
  doNotSell: {
    heading: string;
    on: string;
    off: string;
    optOut: string;
    optIn: string;
    optedOutNotice: string;
    optedInNotice: string;
  };
}

const en: ContactMessages = {
  emailChangeEmail: {
    subject: (company) => `Confirm your new email address for ${company}`,
    intro: (company) =>
      `Someone asked to change the email address ${company} uses for you to this one. If that was you, confirm it:`,
    action: 'Confirm my new address',
    expiry: (days) => `This link works for ${days} day${days === 1 ? '' : 's'}.`,
    ignore: 'If you did not ask for this, ignore this email: nothing changes without your confirmation.',
  },
  emailChangePages: {
    confirmTitle: 'Confirm your new email address',
    confirmBody: (address) => `Your emails will go to ${address} from now on.`,
    confirmButton: 'Confirm my new address',
    doneTitle: 'Your email address is changed',
    doneBody: 'Your subscriptions and choices are unchanged; our emails now go to your new address.',
    invalidTitle: 'This link is not valid',
    invalidBody:
      'The link has expired, was already used, or is not complete. Nothing was changed. Ask for the change again if you still want it.',
    takenTitle: 'This address is already in use',
    takenBody: 'The new address already belongs to another subscriber, so nothing was changed.',
  },
  doNotSell: {
    heading: 'Do not sell or share my personal information',
    on: 'You asked us not to sell or share your personal information.',
    off: 'You have not asked us to stop selling or sharing your personal information.',
    optOut: 'Do not sell or share my personal information',
    optIn: 'Withdraw my do-not-sell request',
    optedOutNotice: 'Done: we will not sell or share your personal information.',
    optedInNotice: 'Done: your do-not-sell request is withdrawn.',
  },
};

const fr: ContactMessages = {
  emailChangeEmail: {
    subject: (company) => `Confirmez votre nouvelle adresse e-mail pour ${company}`,
    intro: (company) =>
      `Quelqu’un a demandé que ${company} utilise désormais cette adresse pour vous écrire. Si c’est vous, confirmez-la :`,
    action: 'Confirmer ma nouvelle adresse',
    expiry: (days) => `Ce lien est valable ${days} jour${days === 1 ? '' : 's'}.`,
    ignore: 'Si vous n’avez rien demandé, ignorez cet e-mail : rien ne change sans votre confirmation.',
  },
  emailChangePages: {
    confirmTitle: 'Confirmez votre nouvelle adresse e-mail',
    confirmBody: (address) => `Nos e-mails seront désormais envoyés à ${address}.`,
    confirmButton: 'Confirmer ma nouvelle adresse',
    doneTitle: 'Votre adresse e-mail est modifiée',
    doneBody:
      'Vos abonnements et vos choix sont inchangés ; nos e-mails partent désormais vers votre nouvelle adresse.',
    invalidTitle: 'Ce lien n’est pas valide',
    invalidBody:
      'Le lien a expiré, a déjà servi ou est incomplet. Rien n’a été modifié. Refaites la demande si vous le souhaitez toujours.',
    takenTitle: 'Cette adresse est déjà utilisée',
    takenBody: 'La nouvelle adresse appartient déjà à un autre abonné : rien n’a été modifié.',
  },
  doNotSell: {
    heading: 'Ne pas vendre ni partager mes informations personnelles',
    on: 'Vous nous avez demandé de ne pas vendre ni partager vos informations personnelles.',
    off: 'Vous ne nous avez pas demandé de cesser de vendre ou de partager vos informations personnelles.',
    optOut: 'Ne pas vendre ni partager mes informations personnelles',
    optIn: 'Retirer ma demande',
    optedOutNotice: 'C’est fait : nous ne vendrons ni ne partagerons vos informations personnelles.',
    optedInNotice: 'C’est fait : votre demande est retirée.',
  },
};

const byLocale: Record<Locale, ContactMessages> = { en, fr };

export const contactMessagesFor = (locale: Locale): ContactMessages => byLocale[locale];
