import fc from 'fast-check';
import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { visibleContent } from '../../shared/email/visible-text';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import type { MessageDraft, PolicyDecision } from '../../shared/sending/message-types';
import { policyContext as context, subscriberState } from '../support/campaign-fixtures';

const recipient = subscriberState({
  trackingConsent: true,
  // Not affirmative: the advertisement notice is due and must be visible too.
  subscription: { status: 'confirmed', consentText: null, affirmative: false },
  list: { listId: 'weekly-news', name: 'Weekly News', trackingMode: 'per-person' },
});
const send = (html: string): PolicyDecision =>
  complianceCheck(
    { kind: 'marketing', listId: 'weekly-news', subject: 'News', html, text: 'News' } satisfies MessageDraft,
    recipient,
    { messageId: 'm_1' },
    context,
  );

/** What a reader must see last: the advertisement notice, the reason, both links, the sender. */
const FOOTER_TEXT = [
  'This message is an advertisement.',
  'You are receiving this email because you subscribed to Weekly News.',
  'Unsubscribe from Weekly News · Manage your email preferences',
  'Example Co',
  '1 Main Street, Springfield, IL 62701, USA',
].join('\n');

/** Elements that show their content as text a reader can use; anything else around the footer swallows it. */
const PLAIN_ANCESTORS = new Set(['html', 'body']);

/** The footer, re-parsed from the decorated HTML, is the visible end of the message and inside nothing else. */
function expectFooterShown(html: string): void {
  const document = parseDocument(html);
  const footer = DomUtils.findOne(
    (element) =>
      element.name === 'div' &&
      element.attribs.lang === 'en' &&
      DomUtils.textContent(element).includes('Manage your email preferences'),
    document.children,
  );
  expect(footer, 'the footer element').not.toBeNull();
  const ancestors: string[] = [];
  for (let node = footer?.parent ?? null; node !== null && DomUtils.isTag(node); node = node.parent) {
    ancestors.push(node.name);
  }
  expect(ancestors.filter((name) => !PLAIN_ANCESTORS.has(name))).toEqual([]);
  const { text } = visibleContent(html);
  expect(text === FOOTER_TEXT || text.endsWith(`\n${FOOTER_TEXT}`), 'the footer is the visible end').toBe(
    true,
  );
  expect(html).toMatch(/\/v1\/pixel\?token=/);
}

function refusalOf(decision: PolicyDecision) {
  if (decision.allowed) throw new Error('expected a refusal, the message was allowed');
  return decision.refusals;
}

function decoratedHtml(decision: PolicyDecision): string {
  if (!decision.allowed) throw new Error(`expected allowed, got ${JSON.stringify(decision.refusals)}`);
  return decision.message.html;
}

describe('compliance policy: the footer is visible whatever HTML the sender writes', () => {
  it.each([
    ['an unclosed comment', '<p>Hi</p><!--'],
    ['an unclosed comment in a full document', '<html><body><p>Hi</p><!-- </body></html>'],
    ['an unclosed <style>', '<p>Hi</p><style>p { color: red }'],
    ['an unclosed <script>', '<p>Hi</p><script>var x = "'],
    ['an unclosed <textarea>', '<p>Hi</p><textarea>'],
    ['an unclosed <title>', '<p>Hi</p><title>'],
    ['an unclosed <noscript>', '<p>Hi</p><noscript>'],
    ['an unclosed <template>', '<p>Hi</p><template><p>'],
    ['an unclosed <xmp>', '<p>Hi</p><xmp>'],
    ['an unclosed <iframe>', '<p>Hi</p><iframe>'],
    ['an unclosed <noembed>', '<p>Hi</p><noembed>'],
    ['an unclosed <noframes>', '<p>Hi</p><noframes>'],
    ['an unclosed link', '<p>Hi <a href="https://evil.example/">click'],
    ['an unclosed <select>/<option>', '<p>Hi</p><select><option>'],
    ['CDATA', '<p>Hi</p><![CDATA[ '],
    ['an unclosed attribute quote', '<p title="x>Hi</p>'],
    ['content after </html>', '<html><body><p>Hi</p></body></html><div hidden><!-- </body> -->'],
    ['a <head>-only document left open', '<html><head><style>p {}'],
    ['display:none wrapping to the end', '<p>Hi</p><div style="display:none">'],
    ['visibility:hidden wrapping to the end', '<p>Hi</p><div style="visibility:hidden">'],
    ['font-size:0 wrapping to the end', '<p>Hi</p><div style="font-size:0">'],
    ['opacity:0 wrapping to the end', '<p>Hi</p><div style="opacity:0">'],
    ['the hidden attribute wrapping to the end', '<p>Hi</p><div hidden>'],
    ['text coloured like its background', '<p>Hi</p><div style="background:#fff;color:#fff">'],
    ['mso-hide:all wrapping to the end', '<p>Hi</p><div style="mso-hide:all">'],
    ['max-height:0 with overflow:hidden', '<p>Hi</p><div style="max-height:0;overflow:hidden">'],
    ['a closed <details>', '<p>Hi</p><details><summary>More</summary>'],
    ['a <dialog> without open', '<p>Hi</p><dialog>'],
    ['an unclosed <table>', '<table><tr><td>Hi'],
    [
      'stylesheet rules on the footer’s own elements',
      '<html><head><style>div { display:none } p { font-size:0 } a, strong { color:#fff; opacity:0 }</style></head><body><p style="display:block;font-size:14px">Hi</p></body></html>',
    ],
  ])('neutralises %s: the footer closes the document, visible', (_how, html) => {
    expectFooterShown(decoratedHtml(send(html)));
  });

  // htmlparser2 and a browser read these differently; the balanced copy must leave nothing to disagree on.
  it.each([
    ['a comment ended the old way (--!>)', '<p>Hi</p><!-- a --!><textarea> -->', '--!>'],
    ['script escape states', '<p>Hi</p><script><!--<script></script>x</script>', '<script'],
    [
      'an attribute spelling </noscript> (raw text to a browser with scripting)',
      '<noscript><p title="</noscript><!--">Hi</p></noscript>',
      '<!--',
    ],
    ['a <style> in SVG (not raw text there)', '<p>Hi</p><svg><style><!--</style></svg>', '<!--'],
  ])('writes back %s so that every parser reads the footer as visible', (_how, html, absent) => {
    const decorated = decoratedHtml(send(html));
    expectFooterShown(decorated);
    expect(decorated).not.toContain(absent);
  });

  it('keeps an Outlook ghost table and its conditional comments', () => {
    const html = decoratedHtml(
      send('<!--[if mso]><table><tr><td><![endif]--><p>Hi</p><!--[if mso]></td></tr></table><![endif]-->'),
    );
    expectFooterShown(html);
    expect(html).toContain('<!--[if mso]></td></tr></table><![endif]-->');
  });

  it('keeps the footer links absolute, so a <base> cannot send them elsewhere', () => {
    const html = decoratedHtml(
      send('<html><head><base href="https://evil.example/"></head><body>Hi</body></html>'),
    );
    expectFooterShown(html);
    expect(html).toMatch(/<a href="https:\/\/mail\.example\.com\/v1\/unsubscribe\?token=/);
  });

  it.each([
    ['<plaintext>', '<p>Hi</p><plaintext>', /<plaintext>/],
    ['a frameset', '<html><frameset><frame src="https://example.com/"></frameset></html>', /frameset/],
    ['a hidden <body>', '<html><body style="display:none"><p>Hi</p></body></html>', /hidden/],
    ['the hidden attribute on <body>', '<body hidden><p>Hi</p></body>', /hidden/],
    ['a stylesheet hiding <body>', '<style>body { display:none }</style><body><p>Hi</p></body>', /"body"/],
    [
      'a rule inside @media hiding <body>',
      '<style>@media screen { body { opacity:0 } }</style><body><p>Hi</p></body>',
      /"body"/,
    ],
    ['a :root rule', '<style>:root { display:none }</style><p>Hi</p>', /":root"/],
    [
      'an unclosed downlevel-revealed Outlook comment',
      '<p>Hi</p><!--[if !mso]><!--><p>Not for Outlook</p>',
      /not closed/,
    ],
    [
      'an Outlook-only element hiding what follows',
      '<p>Hi</p><!--[if mso]><div style="mso-hide:all"><![endif]-->',
      /in Outlook/,
    ],
    ['nesting deeper than any template', `${'<div>'.repeat(300)}Hi`, /nested more than 256/],
  ])('refuses %s with footer_not_visible', (_how, html, reason) => {
    expect(refusalOf(send(html))).toEqual([
      { code: 'footer_not_visible', field: 'html', message: expect.stringMatching(reason) },
    ]);
  });
});

/** Pieces that open, close or hide things; random sequences of them are the sender's HTML. */
const DANGEROUS_PIECES = [
  '<!--',
  '-->',
  '--!>',
  '<![CDATA[',
  ']]>',
  '<style>',
  '</style>',
  '<script>',
  '</script>',
  '<textarea>',
  '<title>',
  '<noscript>',
  '<template>',
  '<xmp>',
  '<plaintext>',
  '<iframe>',
  '</iframe>',
  '<noembed>',
  '<noframes>',
  '<a href="https://evil.example/">',
  '</a>',
  '<select>',
  '<option>',
  '<details>',
  '<dialog>',
  '<svg>',
  '<math>',
  '<table>',
  '<td>',
  '<base href="https://evil.example/">',
  '<div style="display:none">',
  '<span style="font-size:0">',
  '<div hidden>',
  '<div style="max-height:0;overflow:hidden">',
  '<p style="color:#fff;background:#fff">',
  '</div>',
  '<html>',
  '</html>',
  '<head>',
  '<body>',
  '</body>',
  '<p title="',
  '"',
  "'",
  '<!--[if mso]>',
  '<![endif]-->',
  '<!--[if !mso]><!-->',
  '<!--<![endif]-->',
  '<style>div { display:none }</style>',
  '<',
  '&lt;',
  'Hi ',
];

describe('compliance policy: footer property', () => {
  it('for random HTML built from the dangerous pieces, the footer is visible or the message is refused', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...DANGEROUS_PIECES), { minLength: 1, maxLength: 12 }),
        (pieces) => {
          const decision = send(pieces.join(''));
          if (!decision.allowed) {
            expect(decision.refusals.map((refusal) => refusal.code)).toEqual(['footer_not_visible']);
            return;
          }
          expectFooterShown(decision.message.html);
        },
      ),
      { numRuns: Number(process.env.FOOTER_PROPERTY_RUNS ?? 300) },
    );
  });
});
