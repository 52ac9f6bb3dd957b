import type { Locale } from './locales';

/**
 * The hosted signup form (shared/http/signup-form-markup.ts): what a person reads before giving consent.
 * The consent wording itself is the operator's, versioned per list (shared/lists/consent-texts.ts); these
 * are the form's own labels.
 */

export interface SignupFormMessages {
  title: string;
  intro: (companyName: string) => string;
  email: string;
  name: string;
  listsLegend: string;
  age: (years: number) => string;
  /** The honeypot's label: people never see it (the field is hidden), bots read it and fill it anyway. */
  honeypot: string;
  submit: string;
  withdraw: string;
}

const en: SignupFormMessages = {
  title: 'Sign up',
  intro: (companyName) => `Choose the emails you want from ${companyName}.`,
  email: 'Email address',
  name: 'Name (optional)',
  listsLegend: 'What would you like to receive?',
  age: (years) => `I am at least ${years} years old.`,
  honeypot: 'Leave this field empty',
  submit: 'Subscribe',
  withdraw: 'You can unsubscribe at any time with the link in every email.',
};

const fr: SignupFormMessages = {
  title: 'Inscription',
  intro: (companyName) => `Choisissez les e-mails que vous souhaitez recevoir de ${companyName}.`,
  email: 'Adresse e-mail',
  name: 'Nom (facultatif)',
  listsLegend: 'Que souhaitez-vous recevoir ?',
  age: (years) => `J’ai au moins ${years} ans.`,
  honeypot: 'Laissez ce champ vide',
  submit: 'M’inscrire',
  withdraw: 'Vous pouvez vous désinscrire à tout moment grâce au lien présent dans chaque e-mail.',
};

const catalogue: Record<Locale, SignupFormMessages> = { en, fr };

export const signupFormMessagesFor = (locale: Locale): SignupFormMessages => catalogue[locale];
