import type { Locale } from './locales';

/**
 * What people read about their data-subject rights (docs/rights.md): the "your data" section of the
 * preference page, the emailed confirmation links, and the pages behind them.
 */

export type DataRequestKind = 'download' | 'erase';

export interface RightsMessages {
  section: { heading: string; body: string; download: string; erase: string };
  requested: { title: string; body: (minutes: number) => string; tooMany: string };
  email: {
    subject: Record<DataRequestKind, (companyName: string) => string>;
    intro: Record<DataRequestKind, (companyName: string) => string>;
    action: Record<DataRequestKind, string>;
    expiry: (minutes: number) => string;
    ignore: string;
  };
  confirm: {
    title: Record<DataRequestKind, string>;
    body: Record<DataRequestKind, string>;
    button: Record<DataRequestKind, string>;
  };
  erased: { title: string; body: string; receipt: string; reference: string; at: string };
  invalid: { title: string; body: string };
}

const en: RightsMessages = {
  section: {
    heading: 'Your data',
    body: 'Get a copy of everything we hold about you, or have it erased. We email you a link to confirm.',
    download: 'Download my data',
    erase: 'Erase my data',
  },
  requested: {
    title: 'Check your inbox',
    body: (minutes) =>
      `We sent an email with a link to confirm your request. The link works for ${minutes} minutes.`,
    tooMany: 'You have asked several times today already; please use the link in the last email.',
  },
  email: {
    subject: {
      download: (company) => `Your data held by ${company}: confirm the download`,
      erase: (company) => `Erasing your data at ${company}: please confirm`,
    },
    intro: {
      download: (company) =>
        `Someone, hopefully you, asked for a copy of the data ${company} holds about this address.`,
      erase: (company) =>
        `Someone, hopefully you, asked ${company} to erase all data about this address. This cannot be undone.`,
    },
    action: { download: 'Download my data', erase: 'Erase my data' },
    expiry: (minutes) => `The link works for ${minutes} minutes.`,
    ignore: 'If you did not ask for this, ignore this email: nothing happens without the link.',
  },
  confirm: {
    title: { download: 'Download your data', erase: 'Erase your data' },
    body: {
      download:
        'The download is one JSON file: your profile, subscriptions, consent history, emails we sent you and their opens.',
      erase:
        'We will delete your profile, subscriptions and tracking data, and keep only an anonymous marker so this address is never emailed again unless you sign up afresh. This cannot be undone.',
    },
    button: { download: 'Download my data', erase: 'Erase my data now' },
  },
  erased: {
    title: 'Your data is erased',
    body: 'We no longer hold your profile, subscriptions or tracking data, and we will not email this address again unless you sign up afresh.',
    receipt: 'Your receipt',
    reference: 'Reference',
    at: 'Erased at',
  },
  invalid: {
    title: 'This link has expired or is not valid',
    body: 'Nothing has changed. Ask again from the preference page linked in any of our emails.',
  },
};

const fr: RightsMessages = {
  section: {
    heading: 'Vos données',
    body: 'Obtenez une copie de tout ce que nous détenons sur vous, ou faites-le effacer. Nous vous envoyons un lien de confirmation par email.',
    download: 'Télécharger mes données',
    erase: 'Effacer mes données',
  },
  requested: {
    title: 'Consultez votre boîte de réception',
    body: (minutes) =>
      `Nous avons envoyé un email avec un lien pour confirmer votre demande. Le lien fonctionne pendant ${minutes} minutes.`,
    tooMany: 'Vous avez déjà fait plusieurs demandes aujourd’hui ; utilisez le lien du dernier email.',
  },
  email: {
    subject: {
      download: (company) => `Vos données chez ${company} : confirmez le téléchargement`,
      erase: (company) => `Effacement de vos données chez ${company} : merci de confirmer`,
    },
    intro: {
      download: (company) =>
        `Quelqu’un, vous sans doute, a demandé une copie des données que ${company} détient sur cette adresse.`,
      erase: (company) =>
        `Quelqu’un, vous sans doute, a demandé à ${company} d’effacer toutes les données liées à cette adresse. C’est irréversible.`,
    },
    action: { download: 'Télécharger mes données', erase: 'Effacer mes données' },
    expiry: (minutes) => `Le lien fonctionne pendant ${minutes} minutes.`,
    ignore:
      'Si vous n’êtes pas à l’origine de cette demande, ignorez cet email : rien ne se passe sans le lien.',
  },
  confirm: {
    title: { download: 'Télécharger vos données', erase: 'Effacer vos données' },
    body: {
      download:
        'Le téléchargement est un fichier JSON : votre profil, vos abonnements, l’historique de vos consentements, les emails envoyés et leurs ouvertures.',
      erase:
        'Nous supprimerons votre profil, vos abonnements et vos données de suivi, et ne garderons qu’un marqueur anonyme pour ne plus jamais écrire à cette adresse, sauf nouvelle inscription. C’est irréversible.',
    },
    button: { download: 'Télécharger mes données', erase: 'Effacer mes données maintenant' },
  },
  erased: {
    title: 'Vos données sont effacées',
    body: 'Nous ne détenons plus votre profil, vos abonnements ni vos données de suivi, et n’écrirons plus à cette adresse sauf nouvelle inscription.',
    receipt: 'Votre reçu',
    reference: 'Référence',
    at: 'Effacé le',
  },
  invalid: {
    title: 'Ce lien a expiré ou n’est pas valide',
    body: 'Rien n’a été modifié. Refaites la demande depuis la page de préférences liée dans nos emails.',
  },
};

const byLocale: Record<Locale, RightsMessages> = { en, fr };

export function rightsMessagesFor(locale: Locale): RightsMessages {
  return byLocale[locale] ?? en;
}
