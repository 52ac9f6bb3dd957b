import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseForMatching } from '../../shared/sending/text-normalisation';

const invisibles = [
  '\u00AD', // soft hyphen
  '\u200B', // zero-width space
  '\u200C', // zero-width non-joiner
  '\u200D', // zero-width joiner
  '\u2060', // word joiner
  '\uFEFF', // byte order mark
  '\u200E', // left-to-right mark
  '\u202D', // left-to-right override
  '\u202C', // pop directional formatting
  '\u2066', // left-to-right isolate
  '\u2069', // pop directional isolate
  '\u034F', // combining grapheme joiner
  '\u3164', // Hangul filler
  '\uFE0F', // variation selector
];

describe('normaliseForMatching: text as a reader reads it', () => {
  it('drops invisible characters wherever they are put inside a word', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('half price', 'clearance', 'déstockage', 'Sonderangebot', 'descuento'),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...invisibles)), { maxLength: 6 }),
        (word, insertions) => {
          let text = word;
          for (const [at, invisible] of insertions) {
            const index = at % (text.length + 1);
            text = text.slice(0, index) + invisible + text.slice(index);
          }
          expect(normaliseForMatching(text)).toBe(normaliseForMatching(word));
        },
      ),
    );
  });

  it('maps compatibility forms and look-alike letters to plain Latin', () => {
    expect(normaliseForMatching('ＳＡＬＥ 𝐬𝐚𝐥𝐞 ⓢⓐⓛⓔ')).toBe('sale sale sale');
    // Cyrillic Ѕ, а, е, о, В, А, С, К, І, У; Greek ο.
    expect(normaliseForMatching('Ѕаlе оffer ВLАСК FRІDАУ dοne')).toBe('sale offer black friday done');
    expect(normaliseForMatching('ﬁnal\u00A0offer')).toBe('final offer');
  });

  it('drops accents and case, spells ß as ss, and keeps symbols and amounts as they are', () => {
    expect(normaliseForMatching('Déstockage PRIX CASSÉS')).toBe('destockage prix casses');
    expect(normaliseForMatching('Schnäppchen in der Straße')).toBe('schnappchen in der strasse');
    expect(normaliseForMatching('Économisez 12 € ou 10 £, l’offre à -20 %')).toBe(
      "economisez 12 € ou 10 £, l'offre a -20 %",
    );
  });
});
