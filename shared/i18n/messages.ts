import type { TrackingMode } from '../tracking/tracking-modes';
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
  unsubscribe: {
    askTitle: string;
    askBody(list: string): string;
    button: string;
    doneTitle: string;
    doneBody(list: string): string;
    /** Where the preference page is, without linking it: an unsubscribe link unlocks only unsubscribing. */
    preferencesInEveryEmail: (footerLinkLabel: string) => string;
  };
  preferences: {
    title: string;
    address(masked: string): string;
    statuses: { confirmed: string; unconfirmed: string; unsubscribed: string };
    unsubscribe: string;
    resubscribe: string;
    resubscribeWording: string;
    unsubscribeAll: string;
    allMarketingStopped: string;
    noLists: string;
    trackingOn: string;
    trackingOff: string;
    allowTracking: string;
    stopTracking: string;
    /** Per list: what its tracking mode measures, in plain words (docs/tracking.md, "Tracking modes"). */
    listTracking: Record<TrackingMode, string>;
    /** Aggregate mode's one per-person fact, when we hold it. */
    lastOpenedOn(day: string): string;
    accountHolderNote(company: string): string;
    /** The page opened from a link mailed to an address the contact has since left: it only narrows. */
    earlierAddress: string;
    earlierAddressNote: string;
    notices: {
      unsubscribed(list: string): string;
      unsubscribedAll: string;
      resubscribed(list: string): string;
      trackingGranted: string;
      trackingRevoked: string;
      nothingChanged: string;
    };
  };
  pages: {
    signupReceivedTitle: string;
    signupReceivedBody: string;
    confirmTitle: string;
    confirmBody: string;
    confirmButton: string;
    confirmTracking: string;
    confirmedTitle: string;
    confirmedBody(lists: string): string;
    invalidLinkTitle: string;
    invalidLinkBody: string;
    signUpAgain: string;
  };
  /** Refer a friend: the invitation email, the referrer's form and the friend's opt-out pages. */
  referral: {
    email: {
      subject(firstName: string, company: string): string;
      intro(firstName: string, company: string): string;
      noteIntro(firstName: string): string;
      howToSubscribe(company: string): string;
      notSubscribed: string;
      addressNotKept(days: number): string;
      optOut: string;
      optOutAction: string;
      /** The opt-out sentence, label and full URL for the text part. */
      optOutText(url: string): string;
    };
    form: {
      title: string;
      intro(company: string): string;
      friendEmail: string;
      firstName: string;
      firstNameHint: string;
      note: string;
      noteHint: string;
      submit: string;
    };
    receivedTitle: string;
    receivedBody: string;
    optOut: {
      askTitle: string;
      askBody(company: string): string;
      button: string;
      doneTitle: string;
      doneBody(company: string): string;
    };
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
  unsubscribe: {
    askTitle: 'Unsubscribe',
    askBody: (list) => `Stop receiving ${list}?`,
    button: 'Unsubscribe',
    doneTitle: 'You are unsubscribed',
    doneBody: (list) => `You will not receive ${list} any more. It takes effect now.`,
    preferencesInEveryEmail: (label) =>
      `To change your other choices, use the “${label}” link at the bottom of any email from us.`,
  },
  preferences: {
    title: 'Your email preferences',
    address: (masked) => `Preferences for ${masked}`,
    statuses: {
      confirmed: 'Subscribed',
      unconfirmed: 'Waiting for your confirmation',
      unsubscribed: 'Unsubscribed',
    },
    unsubscribe: 'Unsubscribe',
    resubscribe: 'Subscribe again',
    resubscribeWording: 'By subscribing again you agree to:',
    unsubscribeAll: 'Unsubscribe from all marketing emails',
    allMarketingStopped: 'You receive no marketing emails from us.',
    noLists: 'You are not on any of our lists.',
    trackingOn: 'We count when you open our emails (with an invisible image).',
    trackingOff: 'We do not track when you open our emails.',
    allowTracking: 'Allow open tracking',
    stopTracking: 'Stop open tracking',
    listTracking: {
      'per-person':
        'Opens: only if you allow open tracking below, an invisible image records when you open each email from this list.',
      aggregate:
        'Opens: emails from this list contain an invisible image that counts opens for the whole mailing only, without recording who opened what or when. The one thing we keep about you is the date (not the time) you last opened one of these emails, replaced each time, to check our emails still reach you.',
      off: 'Opens: emails from this list contain no tracking image. We do not measure whether you open them.',
    },
    lastOpenedOn: (day) => `The date you last opened one of our emails, as we keep it: ${day}.`,
    accountHolderNote: (company) =>
      `Because you have an account with ${company}, you will still receive service announcements about it (maintenance, changes to our terms or privacy policy, security notices). They are never promotional. To stop them, close your account.`,
    earlierAddress: 'Preferences for an email address you no longer use with us',
    earlierAddressNote:
      'This link was sent to an earlier email address. It can still stop emails and open tracking. To subscribe again or allow anything, use the link at the bottom of a recent email to your current address.',
    notices: {
      unsubscribed: (list) => `Done: you are unsubscribed from ${list}.`,
      unsubscribedAll: 'Done: you are unsubscribed from all marketing emails.',
      resubscribed: (list) => `Done: you are subscribed to ${list} again.`,
      trackingGranted: 'Done: open tracking is on.',
      trackingRevoked: 'Done: open tracking is off.',
      nothingChanged: 'Nothing needed to change.',
    },
  },
  pages: {
    signupReceivedTitle: 'Thank you, check your inbox',
    signupReceivedBody:
      'If a confirmation is needed, we have sent an email with a link to confirm your subscription. Nothing is sent to you until you confirm. It can take a few minutes; check your spam folder too.',
    confirmTitle: 'Confirm your subscription',
    confirmBody: 'Press the button to confirm that you want to receive:',
    confirmButton: 'Confirm my subscription',
    confirmTracking:
      'You also allow us to count when you open these emails (with an invisible image). You can turn this off at any time from the link in every email.',
    confirmedTitle: 'Your subscription is confirmed',
    confirmedBody: (lists) =>
      `Thank you. You will receive ${lists}. Every email has a link to unsubscribe at any time.`,
    invalidLinkTitle: 'This link has expired or is not valid',
    invalidLinkBody: 'Nothing has changed. If you still want to subscribe, please sign up again.',
    signUpAgain: 'Sign up again',
  },
  referral: {
    email: {
      subject: (firstName, company) => `${firstName} thought you would like to hear from ${company}`,
      intro: (firstName, company) =>
        `${firstName} thought you might like the emails of ${company} and asked us to let you know.`,
      noteIntro: (firstName) => `${firstName} wrote:`,
      howToSubscribe: (company) =>
        `If you would like them, sign up on the website of ${company}: it takes a minute, and you can stop at any time.`,
      notSubscribed:
        'You have not been subscribed to anything. Unless you sign up yourself, you will receive nothing more from us.',
      addressNotKept: (days) =>
        `We have not kept your address: only a coded fingerprint of it, for ${days} days, so that nobody can invite you again during that time.`,
      optOut: 'Do not want invitations like this one?',
      optOutAction: 'Never invite me again',
      optOutText: (url) => `Do not want invitations like this one? Never invite me again: ${url}`,
    },
    form: {
      title: 'Invite a friend',
      intro: (company) =>
        `We will send your friend one email inviting them to sign up to ${company}. We do not keep their address, and they can ask never to be invited again.`,
      friendEmail: 'Your friend’s email address',
      firstName: 'Your first name',
      firstNameHint: 'Your friend will see this name, and nothing else about you.',
      note: 'A short note (optional)',
      noteHint: 'Plain text, up to 500 characters, without links, email addresses or phone numbers.',
      submit: 'Send the invitation',
    },
    receivedTitle: 'Thank you',
    receivedBody:
      'If your friend can be invited, they will receive one email from us. We do not keep their address.',
    optOut: {
      askTitle: 'Stop invitations',
      askBody: (company) =>
        `Press the button and we will never again send you an invitation from someone who recommends ${company}.`,
      button: 'Never invite me again',
      doneTitle: 'Done: no more invitations',
      doneBody: (company) =>
        `You will not receive invitations to ${company} any more. We keep only a coded fingerprint of your address to remember this, never the address itself.`,
    },
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
  unsubscribe: {
    askTitle: 'Se désinscrire',
    askBody: (list) => `Ne plus recevoir ${list} ?`,
    button: 'Me désinscrire',
    doneTitle: 'Vous êtes désinscrit',
    doneBody: (list) => `Vous ne recevrez plus ${list}. C’est effectif immédiatement.`,
    preferencesInEveryEmail: (label) =>
      `Pour modifier vos autres choix, utilisez le lien « ${label} » en bas de chacun de nos e-mails.`,
  },
  preferences: {
    title: 'Vos préférences e-mail',
    address: (masked) => `Préférences pour ${masked}`,
    statuses: {
      confirmed: 'Inscrit',
      unconfirmed: 'En attente de votre confirmation',
      unsubscribed: 'Désinscrit',
    },
    unsubscribe: 'Me désinscrire',
    resubscribe: 'Me réinscrire',
    resubscribeWording: 'En vous réinscrivant, vous acceptez :',
    unsubscribeAll: 'Me désinscrire de tous les e-mails marketing',
    allMarketingStopped: 'Vous ne recevez aucun e-mail marketing de notre part.',
    noLists: 'Vous n’êtes inscrit à aucune de nos listes.',
    trackingOn: 'Nous mesurons l’ouverture de nos e-mails (avec une image invisible).',
    trackingOff: 'Nous ne mesurons pas l’ouverture de nos e-mails.',
    allowTracking: 'Autoriser la mesure d’ouverture',
    stopTracking: 'Arrêter la mesure d’ouverture',
    listTracking: {
      'per-person':
        'Ouvertures : seulement si vous autorisez la mesure d’ouverture ci-dessous, une image invisible enregistre quand vous ouvrez chaque e-mail de cette liste.',
      aggregate:
        'Ouvertures : les e-mails de cette liste contiennent une image invisible qui compte les ouvertures pour l’ensemble de l’envoi seulement, sans enregistrer qui a ouvert quoi ni quand. La seule chose que nous gardons à votre sujet est la date (pas l’heure) à laquelle vous avez ouvert l’un de ces e-mails pour la dernière fois, remplacée à chaque fois, pour vérifier que nos e-mails vous parviennent toujours.',
      off: 'Ouvertures : les e-mails de cette liste ne contiennent aucune image de mesure. Nous ne mesurons pas si vous les ouvrez.',
    },
    lastOpenedOn: (day) =>
      `La date à laquelle vous avez ouvert l’un de nos e-mails pour la dernière fois, telle que nous la gardons : ${day}.`,
    accountHolderNote: (company) =>
      `Comme vous avez un compte chez ${company}, vous continuerez à recevoir les annonces de service qui le concernent (maintenance, modification de nos conditions ou de notre politique de confidentialité, alertes de sécurité). Elles ne sont jamais promotionnelles. Pour ne plus les recevoir, fermez votre compte.`,
    earlierAddress: 'Préférences pour une adresse e-mail que vous n’utilisez plus avec nous',
    earlierAddressNote:
      'Ce lien a été envoyé à une ancienne adresse e-mail. Il permet toujours d’arrêter des e-mails et la mesure d’ouverture. Pour vous réinscrire ou autoriser quoi que ce soit, utilisez le lien en bas d’un e-mail récent envoyé à votre adresse actuelle.',
    notices: {
      unsubscribed: (list) => `C’est fait : vous êtes désinscrit de ${list}.`,
      unsubscribedAll: 'C’est fait : vous êtes désinscrit de tous les e-mails marketing.',
      resubscribed: (list) => `C’est fait : vous êtes de nouveau inscrit à ${list}.`,
      trackingGranted: 'C’est fait : la mesure d’ouverture est activée.',
      trackingRevoked: 'C’est fait : la mesure d’ouverture est désactivée.',
      nothingChanged: 'Rien n’avait besoin de changer.',
    },
  },
  pages: {
    signupReceivedTitle: 'Merci, consultez votre boîte de réception',
    signupReceivedBody:
      'Si une confirmation est nécessaire, nous vous avons envoyé un e-mail contenant un lien pour confirmer votre inscription. Rien ne vous sera envoyé avant votre confirmation. Cela peut prendre quelques minutes ; pensez à vérifier vos courriers indésirables.',
    confirmTitle: 'Confirmez votre inscription',
    confirmBody: 'Appuyez sur le bouton pour confirmer que vous souhaitez recevoir :',
    confirmButton: 'Confirmer mon inscription',
    confirmTracking:
      'Vous nous autorisez aussi à mesurer l’ouverture de ces e-mails (avec une image invisible). Vous pouvez le désactiver à tout moment depuis le lien présent dans chaque e-mail.',
    confirmedTitle: 'Votre inscription est confirmée',
    confirmedBody: (lists) =>
      `Merci. Vous recevrez ${lists}. Chaque e-mail contient un lien pour vous désinscrire à tout moment.`,
    invalidLinkTitle: 'Ce lien a expiré ou n’est pas valide',
    invalidLinkBody: 'Rien n’a été modifié. Si vous souhaitez toujours vous inscrire, merci de recommencer.',
    signUpAgain: 'M’inscrire à nouveau',
  },
  referral: {
    email: {
      subject: (firstName, company) => `${firstName} pense que ${company} pourrait vous intéresser`,
      intro: (firstName, company) =>
        `${firstName} pense que les e-mails de ${company} pourraient vous plaire et nous a demandé de vous le faire savoir.`,
      noteIntro: (firstName) => `${firstName} vous écrit :`,
      howToSubscribe: (company) =>
        `Si vous souhaitez les recevoir, inscrivez-vous sur le site de ${company} : cela prend une minute, et vous pourrez arrêter à tout moment.`,
      notSubscribed:
        'Vous n’avez été inscrit à rien. Si vous ne vous inscrivez pas vous-même, vous ne recevrez plus rien de notre part.',
      addressNotKept: (days) =>
        `Nous n’avons pas conservé votre adresse, seulement une empreinte codée pendant ${days} jours, pour que personne ne puisse vous inviter à nouveau entre-temps.`,
      optOut: 'Vous ne souhaitez pas recevoir d’invitations comme celle-ci ?',
      optOutAction: 'Ne plus jamais m’inviter',
      optOutText: (url) =>
        `Vous ne souhaitez pas recevoir d’invitations comme celle-ci ? Ne plus jamais m’inviter : ${url}`,
    },
    form: {
      title: 'Inviter un ami',
      intro: (company) =>
        `Nous enverrons à votre ami un seul e-mail l’invitant à s’inscrire chez ${company}. Nous ne conservons pas son adresse, et il pourra demander à ne plus jamais être invité.`,
      friendEmail: 'L’adresse e-mail de votre ami',
      firstName: 'Votre prénom',
      firstNameHint: 'Votre ami verra ce prénom, et rien d’autre à votre sujet.',
      note: 'Un petit mot (facultatif)',
      noteHint: 'Texte simple, 500 caractères au plus, sans lien, adresse e-mail ni numéro de téléphone.',
      submit: 'Envoyer l’invitation',
    },
    receivedTitle: 'Merci',
    receivedBody:
      'Si votre ami peut être invité, il recevra un seul e-mail de notre part. Nous ne conservons pas son adresse.',
    optOut: {
      askTitle: 'Ne plus recevoir d’invitations',
      askBody: (company) =>
        `Appuyez sur le bouton et nous ne vous enverrons plus jamais d’invitation de la part de quelqu’un qui recommande ${company}.`,
      button: 'Ne plus jamais m’inviter',
      doneTitle: 'C’est fait : plus d’invitations',
      doneBody: (company) =>
        `Vous ne recevrez plus d’invitations à ${company}. Pour nous en souvenir, nous ne gardons qu’une empreinte codée de votre adresse, jamais l’adresse elle-même.`,
    },
  },
};

const catalogue: Record<Locale, Messages> = { en, fr };

export const messagesFor = (locale: Locale): Messages => catalogue[locale];
