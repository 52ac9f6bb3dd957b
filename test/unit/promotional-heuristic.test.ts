import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  findPromotionalTerms,
  type PatternLanguage,
  promotionalPatterns,
} from '../../shared/sending/promotional-heuristic';

/** One sentence per term, as a sender would write it. */
const examples: Record<PatternLanguage, Record<string, string>> = {
  en: {
    offer: 'A new offer for you',
    discount: 'Discounted renewals',
    sale: 'The sale starts today',
    promo: 'Use promo code SPRING',
    coupon: 'Your coupons are ready',
    deal: 'Deals of the week',
    '% off': '25 % off your plan',
    'free shipping': 'Free shipping on accessories',
    'limited time': 'For a limited-time only',
    'buy now': 'Buy now and relax',
    'Black Friday': 'Black Friday starts now',
    'Cyber Monday': 'It is Cyber Monday',
    'half price': 'Everything half-price',
    clearance: 'Clearance event',
    bargain: 'A bargain for members',
    'upgrade now': 'Upgrade now to Premium',
    'save <amount>': 'Save $20 this month',
    exclusive: 'An exclusive treat',
    'special price': 'A special price for you',
    'best price': 'Our lowest prices ever',
    'price drop': 'Price drop on storage',
    'free trial': 'Start your free trial',
    'shop now': 'Shop now while it lasts',
    voucher: 'Your voucher inside',
    cashback: 'Get cash back on purchases',
    rebate: 'Claim your rebate',
    'buy one get one': 'Buy one, get one on add-ons',
    'last chance': 'Last chance to join',
  },
  fr: {
    offre: 'Nos offres du moment',
    remise: 'Une remise pour vous',
    réduction: 'Une réduction immédiate',
    soldes: 'Les soldes commencent',
    promo: 'Votre code promo',
    'bon plan': 'Les bons plans de la semaine',
    '-20 % / 20 % de réduction': 'Profitez de -20 % sur tout',
    'livraison gratuite': 'Livraison offerte dès 20 €',
    'achetez maintenant': 'Achetez maintenant',
    'moitié prix': 'Votre abonnement à moitié prix',
    'prix cassés': 'Des prix cassés sur les options',
    'prix spécial': 'Un prix spécial pour vous',
    'meilleur prix': 'Au meilleur prix',
    déstockage: 'Grand déstockage',
    'vente flash': 'Vente flash ce week-end',
    'bon de réduction': 'Un bon d’achat vous attend',
    'économisez <montant>': 'Économisez jusqu’à 30 %',
    'essai gratuit': 'Votre essai gratuit',
    exclusivité: 'En exclusivité pour vous',
    'dernière chance': 'Dernière chance',
  },
  de: {
    Angebot: 'Unsere Angebote',
    Sonderangebot: 'Ein Sonderangebot',
    Rabatt: 'Mit Rabattcode SPRING',
    Ausverkauf: 'Großer Räumungsverkauf',
    'gratis Versand': 'Kostenloser Versand',
    Gutschein: 'Ihr Gutschein',
    Schnäppchen: 'Schnäppchen der Woche',
    Sonderpreis: 'Zum Sonderpreis',
    Preisnachlass: 'Preisnachlass für Sie',
    'jetzt kaufen': 'Jetzt kaufen',
  },
  es: {
    oferta: 'Ofertas de la semana',
    descuento: 'Un descuento para ti',
    rebajas: 'Llegan las rebajas',
    'envío gratis': 'Envío gratis',
    promoción: 'Nuestra promoción',
    cupón: 'Tu cupón',
    'liquidación total': 'Gran liquidación',
    'compra ahora': 'Compra ahora',
    'precio especial': 'Precio especial',
    ganga: 'Una ganga',
    'mitad de precio': 'A mitad de precio',
  },
};

describe('the promotional vocabulary', () => {
  it.each(
    Object.entries(promotionalPatterns).flatMap(([language, patterns]) =>
      patterns.map(({ term }) => ({ language: language as PatternLanguage, term })),
    ),
  )('finds "$term" ($language)', ({ language, term }) => {
    const example = examples[language][term];
    expect(example, 'every term has an example here').toBeDefined();
    expect(findPromotionalTerms(example ?? '')).toContainEqual({ language, term });
  });

  it('is documented in docs/sending.md, term for term', () => {
    const doc = readFileSync(new URL('../../docs/sending.md', import.meta.url), 'utf8');
    for (const [language, patterns] of Object.entries(promotionalPatterns)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${language}\` |`)) ?? '';
      const documented = [...(row.split('|')[2]?.matchAll(/`([^`]+)`/g) ?? [])].map((match) => match[1]);
      expect(documented, language).toEqual(patterns.map((pattern) => pattern.term));
    }
  });

  it('leaves ordinary account wording alone', () => {
    for (const text of [
      'Your account balance was not affected.',
      'Votre solde reste disponible.',
      'Wholesale pricing and Salesforce sync',
      'Save your changes before 18:00.',
      'We will upgrade the database on Sunday.',
      'Ihr Kontostand bleibt unverändert.',
      'Tu saldo no ha cambiado.',
    ]) {
      expect(findPromotionalTerms(text), text).toEqual([]);
    }
  });
});
