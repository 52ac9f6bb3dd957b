import type { Locale } from './locales';

/** The link to a person's consent receipts, on the confirmed page and the preference page. */
export interface ReceiptMessages {
  download: string;
  note: string;
}

const catalogue: Record<Locale, ReceiptMessages> = {
  en: {
    download: 'Download your consent receipts',
    note: 'A signed copy of what you agreed to and when, which anyone can check with our published keys.',
  },
  fr: {
    download: 'Télécharger vos reçus de consentement',
    note: 'Une copie signée de ce que vous avez accepté et quand, que chacun peut vérifier avec nos clés publiées.',
  },
};

export const receiptMessagesFor = (locale: Locale): ReceiptMessages => catalogue[locale];
