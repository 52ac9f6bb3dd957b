import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignDraft, recipientDraft } from '../../shared/campaigns/campaign-draft';
import type { CampaignContent } from '../../shared/campaigns/campaigns';
import { everyMatchIsText } from '../../shared/campaigns/placeholder-contexts';
import { draftIn } from '../../shared/sending/draft-versions';

const MARKER = /QZ1V[0-9]+QZ/g;
const V = 'QZ1V0QZ';

describe('where a placeholder sits in the template’s HTML', () => {
  it.each([
    ['<p>Hello QZ1V0QZ, and QZ1V1QZ</p>'],
    [`${V}<table><tr><td><b>${V}</b></td></tr></table>`],
    ['<p>Nothing to fill</p>'],
  ])('text of ordinary elements: checking the template once speaks for everyone (%s)', (html) => {
    expect(everyMatchIsText(html, MARKER)).toBe(true);
  });

  it.each([
    ['an attribute', `<p class="${V}">Hi</p>`],
    ['a style attribute', `<body style="color:${V}"><p>Hi</p></body>`],
    ['a tag’s attribute list', `<div ${V}>Hi</div>`],
    ['a style element', `<style>.a{color:${V}}</style><p>Hi</p>`],
    ['a script', `<script>var a = "${V}"</script><p>Hi</p>`],
    ['a comment Outlook reads as markup', `<!--[if mso]><p class="${V}">Hi</p><![endif]--><p>Hi</p>`],
    ['a title', `<title>${V}</title><p>Hi</p>`],
    ['text, and an attribute too', `<p>${V}</p><p title="${V}">x</p>`],
  ])('in %s: each recipient’s own copy must be checked', (_, html) => {
    expect(everyMatchIsText(html, MARKER)).toBe(false);
  });
});

describe('recipientDraft: the body as the per-recipient rules read it', () => {
  const content = (html: string | null, text: string | null): CampaignContent => ({
    name: 'n',
    kind: 'marketing',
    audience: { type: 'list', listId: 'news' },
    subject: 'Hello {{firstName|friend}}',
    html,
    text,
    tracking: false,
    advertisement: false,
    category: null,
    policyEffectiveDate: null,
    promotionalOverride: null,
  });

  it('personalises the subject as sent, without personalising a body that has text of its own', () => {
    const long = `<p>Dear {{name|friend}},</p>${'<p>news</p>'.repeat(5_000)}`;
    const draft = recipientDraft(content(long, 'Hi {{firstName}}'), { name: 'Ada Lovelace', locale: 'en' });
    expect(draft.subject).toBe('Hello Ada');
    expect(draft.html?.length).toBeLessThan(100);
    expect(draft.text).not.toContain('Ada');
  });

  it('is blank exactly when the personalised body would be, whatever the body and the name', () => {
    const piece = fc.constantFrom(
      ' ',
      '\n',
      '\t',
      'x',
      '<p>',
      '{{firstName}}',
      '{{name|}}',
      '{{firstName| }}',
      '{{name|y}}',
    );
    const name = fc.constantFrom(null, '', ' ', '  \n', 'Ada', ' Ada Lovelace ', '<', '{{x}}', '\u00a0');
    const blank = (part: string | undefined) => part === undefined || part.trim() === '';
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.array(piece, { maxLength: 6 }),
        name,
        (html, text, who) => {
          const campaign = content(html.join(''), text.join(''));
          const contact = { name: who, locale: 'en' as const };
          const judged = draftIn(recipientDraft(campaign, contact), 'en');
          const personalised = draftIn(campaignDraft(campaign, contact), 'en');
          expect(blank(judged.html)).toBe(blank(personalised.html));
          expect(blank(judged.text)).toBe(blank(personalised.text));
          expect(judged.subject).toBe(personalised.subject);
        },
      ),
      { numRuns: 500 },
    );
  });
});
