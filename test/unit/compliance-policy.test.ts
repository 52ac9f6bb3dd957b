import { describe, expect, it } from 'vitest';
import { complianceCheck, sanitiseTagValue } from '../../shared/sending/compliance-policy';
import type {
  DecoratedMessage,
  Exemption,
  MessageDraft,
  MessageIdentity,
  PolicyDecision,
  RecipientState,
  Refusal,
  RefusalCode,
} from '../../shared/sending/message-types';
import { refusalCodes } from '../../shared/sending/message-types';
import { findPromotionalTerms } from '../../shared/sending/promotional-heuristic';
import type { TrackingMode } from '../../shared/tracking/tracking-modes';
import { policyContext as context, subscriberState } from '../support/campaign-fixtures';

const { tokens } = context;
const identity: MessageIdentity = { messageId: 'm_1', campaignId: 'cmp_1' };
const confirmed = { status: 'confirmed' as const, consentText: null, affirmative: true };
const AD_NOTICE = 'This message is an advertisement.';

/** This file's reader: on the list `weekly-news`, with a verified rights request. */
const recipient = (overrides: Partial<RecipientState> = {}): RecipientState =>
  subscriberState({
    list: { listId: 'weekly-news', name: 'Weekly News', trackingMode: 'off' },
    rightsRequest: { rightsRequestId: 'rr_1', contactId: 'c_1', status: 'verified' },
    ...overrides,
  });

const accountHolder = (overrides: Partial<RecipientState> = {}) =>
  recipient({ accountHolder: true, accountStatus: 'active', subscription: null, list: null, ...overrides });

const marketing = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
  kind: 'marketing',
  listId: 'weekly-news',
  subject: 'This week at Example Co',
  html: '<!doctype html><html><body><h1>This week</h1><p>Three new articles.</p></body></html>',
  text: 'This week\n\nThree new articles.',
  ...overrides,
});

const announcement = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
  kind: 'announcement',
  category: 'maintenance',
  subject: 'Scheduled maintenance on Sunday',
  text: 'The service will be unavailable from 02:00 to 03:00 UTC on Sunday.',
  ...overrides,
});

const transactional = (overrides: Partial<MessageDraft> = {}): MessageDraft => ({
  kind: 'transactional',
  purpose: 'data-request',
  rightsRequestId: 'rr_1',
  subject: 'Your data export is ready',
  text: 'The export you asked for is ready.',
  ...overrides,
});

const check = (draft: MessageDraft, state: RecipientState = recipient(), ids: MessageIdentity = identity) =>
  complianceCheck(draft, state, ids, context);

function allowed(decision: PolicyDecision): { message: DecoratedMessage; exemption: Exemption | null } {
  if (!decision.allowed) throw new Error(`expected allowed, got ${JSON.stringify(decision.refusals)}`);
  return decision;
}

function refused(decision: PolicyDecision): Refusal[] {
  if (decision.allowed) throw new Error('expected a refusal, the message was allowed');
  return decision.refusals;
}

const codes = (decision: PolicyDecision) => refused(decision).map((refusal) => refusal.code);
const header = (message: DecoratedMessage, name: string) =>
  message.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
const manyHeaders = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ name: `X-Custom-${index}`, value: `v${index}` }));

describe('compliance policy: each refusal code', () => {
  const cases: {
    code: RefusalCode;
    draft: MessageDraft;
    state?: RecipientState;
    field?: string;
    message: RegExp;
  }[] = [
    {
      code: 'list_required',
      draft: marketing({ listId: undefined }),
      field: 'listId',
      message: /needs the listId/,
    },
    {
      code: 'not_subscribed',
      draft: marketing(),
      state: recipient({ subscription: null }),
      message: /not subscribed/,
    },
    {
      code: 'unconfirmed',
      draft: marketing(),
      state: recipient({ subscription: { status: 'unconfirmed', consentText: null, affirmative: true } }),
      message: /not confirmed/,
    },
    {
      code: 'unsubscribed',
      draft: marketing(),
      state: recipient({ subscription: { status: 'unsubscribed', consentText: null, affirmative: true } }),
      message: /unsubscribed from this list/,
    },
    {
      code: 'opted_out_of_all_marketing',
      draft: marketing(),
      state: recipient({ marketingOptOut: true }),
      message: /all marketing/,
    },
    {
      code: 'suppressed',
      draft: marketing(),
      state: recipient({ suppression: { reason: 'unsubscribed', scope: 'all' } }),
      message: /suppression list \(unsubscribed\)/,
    },
    {
      code: 'category_required',
      draft: announcement({ category: undefined }),
      state: accountHolder(),
      field: 'category',
      message: /needs a category: one of maintenance, policy-change, security-notice, account/,
    },
    {
      code: 'not_account_holder',
      draft: announcement(),
      state: recipient({ accountHolder: false }),
      message: /only to account holders/,
    },
    {
      code: 'account_deactivated',
      draft: announcement(),
      state: accountHolder({ accountStatus: 'deactivated' }),
      message: /deactivated/,
    },
    {
      code: 'notice_category_required',
      draft: announcement({ category: 'maintenance', audience: 'everyone-concerned' }),
      state: recipient({ subscription: null, list: null }),
      field: 'category',
      message: /may go beyond account holders/,
    },
    {
      code: 'unconfirmed_signup_only',
      draft: announcement({ category: 'policy-change', audience: 'everyone-concerned' }),
      state: recipient({ subscription: null, list: null, pendingOnly: true }),
      field: 'category',
      message: /only through a signup nobody has confirmed/,
    },
    {
      code: 'complaint_allows_security_notices_only',
      draft: announcement({ category: 'policy-change' }),
      state: accountHolder({ suppression: { reason: 'complaint', scope: 'marketing-and-announcements' } }),
      field: 'category',
      message: /only security notices/,
    },
    {
      code: 'promotional_announcement',
      draft: announcement({ subject: 'Maintenance done: enjoy a 20% discount' }),
      state: accountHolder(),
      field: 'subject',
      message: /looks promotional \("discount"\).*promotionalOverride\.reason/,
    },
    {
      code: 'announcement_hidden_content',
      draft: announcement({
        text: undefined,
        html: '<p>Maintenance is over.</p><div style="display:none">Thanks for waiting</div>',
      }),
      state: accountHolder(),
      field: 'html',
      message: /hides text from the reader \(<div> display:none: "Thanks for waiting"\)/,
    },
    {
      code: 'purpose_required',
      draft: transactional({ purpose: undefined }),
      field: 'purpose',
      message: /needs a purpose: one of confirmation, welcome, referral, data-request/,
    },
    {
      code: 'rights_request_required',
      draft: transactional({ rightsRequestId: undefined }),
      field: 'rightsRequestId',
      message: /must name the rights request it answers/,
    },
    {
      code: 'rights_request_not_found',
      draft: transactional(),
      state: recipient({ rightsRequest: null }),
      field: 'rightsRequestId',
      message: /no such rights request/,
    },
    {
      code: 'rights_request_other_contact',
      draft: transactional(),
      state: recipient({ rightsRequest: { rightsRequestId: 'rr_1', contactId: 'c_9', status: 'received' } }),
      field: 'rightsRequestId',
      message: /not about this recipient/,
    },
    {
      code: 'rights_request_closed',
      draft: transactional(),
      state: recipient({ rightsRequest: { rightsRequestId: 'rr_1', contactId: 'c_1', status: 'completed' } }),
      field: 'rightsRequestId',
      message: /already completed/,
    },
    {
      code: 'promotional_data_request',
      draft: transactional({ subject: 'Your export, and a coupon for you' }),
      field: 'subject',
      message: /must not promote anything.*"coupon"/,
    },
    {
      code: 'empty_subject',
      draft: marketing({ subject: '  \t ' }),
      field: 'subject',
      message: /must not be empty/,
    },
    {
      code: 'deceptive_subject',
      draft: marketing({ subject: 'RE: your order' }),
      field: 'subject',
      message: /reply or a forward/,
    },
    {
      code: 'body_required',
      draft: marketing({ html: '  ', text: '\n' }),
      message: /html part, a text part or both/,
    },
    {
      code: 'header_injection',
      draft: marketing({ headers: [{ name: 'X-Campaign', value: 'spring\r\nBcc: victim@example.net' }] }),
      field: 'headers.X-Campaign',
      message: /X-Campaign contains a line break/,
    },
    {
      code: 'header_too_long',
      draft: marketing({ headers: [{ name: 'X-Note', value: 'a'.repeat(871) }] }),
      field: 'headers.X-Note',
      message: /871 characters; at most 870/,
    },
    {
      code: 'too_many_headers',
      draft: marketing({ headers: manyHeaders(14) }),
      field: 'headers',
      message: /16 custom headers \(14 given plus our 2 List-Unsubscribe headers\); SES allows at most 15/,
    },
    {
      code: 'reserved_header',
      draft: marketing({ headers: [{ name: 'Reply-To', value: 'someone@example.net' }] }),
      field: 'headers.Reply-To',
      message: /Reply-To is set by consent-mail/,
    },
    {
      code: 'footer_not_visible',
      draft: marketing({ html: '<p>Hi</p><plaintext>' }),
      field: 'html',
      message: /footer .* must be visible .*<plaintext>/,
    },
  ];

  /** Codes refused before the policy runs, each held by tests of its own. */
  const refusedElsewhere: RefusalCode[] = [
    // a campaign's placeholder where it cannot stand (placeholder-positions.test.ts)
    'misplaced_placeholder',
  ];

  it('has a case for every refusal code', () => {
    expect([...cases.map((c) => c.code), ...refusedElsewhere].sort()).toEqual([...refusalCodes].sort());
  });

  it.each(cases)('refuses with $code', ({ code, draft, state, field, message }) => {
    const refusals = refused(
      check(draft, state ?? (draft.kind === 'marketing' ? recipient() : accountHolder())),
    );
    expect(refusals).toEqual([
      { code, message: expect.stringMatching(message), ...(field ? { field } : {}) },
    ]);
  });
});

describe('compliance policy: refusals are collected, not just the first', () => {
  it('reports every problem of a marketing draft at once', () => {
    const decision = check(
      marketing({
        listId: undefined,
        subject: 'Fwd: ',
        html: undefined,
        text: undefined,
        headers: [{ name: 'list-unsubscribe', value: '<https://evil.example>' }],
      }),
      recipient({
        subscription: { status: 'unsubscribed', consentText: null, affirmative: true },
        marketingOptOut: true,
        suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
      }),
    );
    expect(codes(decision)).toEqual([
      'list_required',
      'unsubscribed',
      'opted_out_of_all_marketing',
      'suppressed',
      'deceptive_subject',
      'body_required',
      'reserved_header',
    ]);
  });

  it('reports an announcement to a deactivated non-holder with no category as three problems', () => {
    const decision = check(
      announcement({ category: undefined }),
      recipient({ accountHolder: false, accountStatus: 'deactivated' }),
    );
    expect(codes(decision)).toEqual(['category_required', 'not_account_holder', 'account_deactivated']);
  });
});

describe('compliance policy: marketing decoration', () => {
  it('adds the exact RFC 8058 headers with a token for this contact, list, message and campaign', () => {
    const { message, exemption } = allowed(check(marketing()));
    expect(exemption).toBeNull();
    const listUnsubscribe = header(message, 'List-Unsubscribe') ?? '';
    const match =
      /^<https:\/\/mail\.example\.com\/v1\/unsubscribe\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)>, <mailto:unsubscribe@example\.com\?subject=unsubscribe%20\1>$/.exec(
        listUnsubscribe,
      );
    expect(match, listUnsubscribe).not.toBeNull();
    expect(header(message, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(tokens.verify('unsubscribe', match?.[1] ?? '')).toEqual({
      ok: true,
      keyId: 'k1',
      data: { contactId: 'c_1', listId: 'weekly-news', messageId: 'm_1', campaignId: 'cmp_1' },
    });
    expect(message.headers.map((h) => h.name)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
  });

  it('leaves out the campaign when the message belongs to none', () => {
    const { message } = allowed(check(marketing(), recipient(), { messageId: 'm_2' }));
    const token = /token=([^>]+)>/.exec(header(message, 'List-Unsubscribe') ?? '')?.[1] ?? '';
    expect(tokens.verify('unsubscribe', token)).toMatchObject({
      ok: true,
      data: { contactId: 'c_1', listId: 'weekly-news', messageId: 'm_2' },
    });
    expect(message.tags).toEqual({ messageId: 'm_2', kind: 'marketing', listId: 'weekly-news' });
  });

  it('sets the sender, recipient and tags', () => {
    const { message } = allowed(check(marketing()));
    expect(message).toMatchObject({
      from: '"Example Co" <news@example.com>',
      replyTo: 'hello@example.com',
      to: 'ada@example.org',
      subject: 'This week at Example Co',
      tags: { messageId: 'm_1', kind: 'marketing', campaignId: 'cmp_1', listId: 'weekly-news' },
      tracked: false,
    });
  });

  it("tags the contact id with the message id when the message has a record, so SES's events name its key", () => {
    const { message } = allowed(check(marketing(), recipient(), { messageId: 'm_3', contactId: 'c_1' }));
    expect(message.tags).toEqual({
      messageId: 'm_3',
      contactId: 'c_1',
      kind: 'marketing',
      listId: 'weekly-news',
    });
  });

  it('puts the footer before </body> and at the end of the text, with every required element', () => {
    const { message } = allowed(check(marketing()));
    const oneClick = /<(https:[^>]+)>/.exec(header(message, 'List-Unsubscribe') ?? '')?.[1] ?? '';
    // The footer's link is the header's URI, with the page language for a person who opens it.
    const footerLink = `${oneClick}&locale=en`;
    expect(message.html).toMatch(/<\/div>\n<\/body><\/html>$/);
    expect(message.html.indexOf('Three new articles')).toBeLessThan(message.html.indexOf('Example Co<br>'));
    for (const part of [message.html, message.text]) {
      expect(part).toContain('You are receiving this email because you subscribed to Weekly News.');
      expect(part).toContain('Unsubscribe from Weekly News');
      expect(part).toContain(oneClick);
      expect(part).toMatch(/https:\/\/mail\.example\.com\/v1\/preferences\?token=[A-Za-z0-9_.-]+/);
      expect(part).toContain('Manage your email preferences');
      expect(part).toContain('Example Co');
      expect(part).toContain('1 Main Street, Springfield, IL 62701, USA');
    }
    expect(message.html).toMatch(
      new RegExp(
        `<a href="${oneClick.replace(/[.?]/g, '\\$&')}&amp;locale=en" style="[^"]*color:#0969da[^"]*">Unsubscribe from Weekly News</a>`,
      ),
    );
    expect(message.text).toMatch(/^This week\n\nThree new articles\.\n\n--\n/);
    expect(message.text).toContain(`Unsubscribe from Weekly News: ${footerLink}`);
  });

  it('preference link carries a preferences token for the contact and message', () => {
    const { message } = allowed(check(marketing()));
    const token = /\/v1\/preferences\?token=([A-Za-z0-9_.-]+)/.exec(message.text)?.[1] ?? '';
    expect(tokens.verify('preferences', token)).toMatchObject({
      ok: true,
      data: { contactId: 'c_1', messageId: 'm_1' },
    });
  });

  it('writes the footer in French for a French recipient', () => {
    const { message } = allowed(
      check(marketing(), recipient({ locale: 'fr', subscription: { ...confirmed, affirmative: false } })),
    );
    for (const part of [message.html, message.text]) {
      expect(part).toContain('Ce message est une publicité.');
      expect(part).toContain('Vous recevez cet e-mail parce que vous êtes inscrit à Weekly News.');
      expect(part).toContain('Se désinscrire de Weekly News');
      expect(part).toContain('Gérer vos préférences e-mail');
      expect(part).toContain('1 Main Street, Springfield, IL 62701, USA');
    }
    expect(message.html).toContain('<div lang="fr"');
    expect(message.text).not.toContain('advertisement');
  });

  it("opens the footer's pages in the recipient's language, whatever their browser's", () => {
    const { message } = allowed(check(marketing(), recipient({ locale: 'fr' })));
    const links = [...message.html.matchAll(/href="([^"]+\/v1\/(?:preferences|unsubscribe)\?[^"]+)"/g)].map(
      (match) => new URL((match[1] ?? '').replaceAll('&amp;', '&')),
    );
    expect(links.map((link) => link.pathname).sort()).toEqual(['/v1/preferences', '/v1/unsubscribe']);
    for (const link of links) expect(link.searchParams.get('locale')).toBe('fr');
  });

  it('appends the footer at the end of HTML that has no </body>', () => {
    const { message } = allowed(check(marketing({ html: '<p>Fragment only</p>' })));
    expect(message.html.startsWith('<p>Fragment only</p>\n<div lang="en"')).toBe(true);
    expect(message.html.endsWith('</div>\n')).toBe(true);
  });

  it('escapes a list name containing markup in the HTML footer', () => {
    const { message } = allowed(
      check(
        marketing(),
        recipient({
          list: {
            listId: 'weekly-news',
            name: '<script>alert("x")</script> & Co',
            trackingMode: 'off',
          },
        }),
      ),
    );
    expect(message.html).not.toContain('<script>');
    expect(message.html).toContain('&lt;script&gt;alert("x")&lt;/script&gt; &amp; Co');
    expect(message.text).toContain('subscribed to <script>alert("x")</script> & Co.');
  });

  it('escapes the company name and postal address too', () => {
    const decision = complianceCheck(marketing(), recipient(), identity, {
      ...context,
      sender: { ...context.sender, companyName: 'A&B <Ltd>', postalAddress: '1 "Quoted" St\nSpringfield' },
    });
    const { message } = allowed(decision);
    expect(message.html).toContain('A&amp;B &lt;Ltd&gt;<br>1 "Quoted" St<br>Springfield');
  });
});

describe('compliance policy: advertisement notice', () => {
  it('is in both parts when consent is not affirmative', () => {
    const { message } = allowed(
      check(marketing(), recipient({ subscription: { ...confirmed, affirmative: false } })),
    );
    expect(message.html).toMatch(new RegExp(`<strong style="[^"]+">${AD_NOTICE}</strong>`));
    expect(message.text).toContain(AD_NOTICE);
  });

  it('is in both parts when the sender asks for it', () => {
    const { message } = allowed(check(marketing({ advertisement: true })));
    expect(message.html).toContain(AD_NOTICE);
    expect(message.text).toContain(AD_NOTICE);
  });

  it('is absent with affirmative consent when not asked for', () => {
    const { message } = allowed(check(marketing()));
    expect(message.html).not.toContain(AD_NOTICE);
    expect(message.text).not.toContain(AD_NOTICE);
  });
});

describe('compliance policy: open-tracking pixel', () => {
  const tracking = (trackingConsent: boolean, listTracks: boolean | TrackingMode) =>
    recipient({
      trackingConsent,
      list: {
        listId: 'weekly-news',
        name: 'Weekly News',
        trackingMode: listTracks === true ? 'per-person' : listTracks === false ? 'off' : listTracks,
      },
    });

  it('is added when the person and the list both allow tracking, with a trackOpen token', () => {
    const { message } = allowed(check(marketing(), tracking(true, true)));
    expect(message.tracked).toBe(true);
    expect(message.trackingMode).toBe('per-person');
    const match =
      /<img src="https:\/\/mail\.example\.com\/v1\/pixel\?token=([A-Za-z0-9_.-]+)" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">/.exec(
        message.html,
      );
    expect(match).not.toBeNull();
    expect(tokens.verify('trackOpen', match?.[1] ?? '')).toEqual({
      ok: true,
      keyId: 'k1',
      data: { contactId: 'c_1', messageId: 'm_1' },
    });
    expect(message.html).toMatch(/<\/div>\n<img [^>]+>\n?<\/body><\/html>$/);
    expect(message.text).not.toContain('pixel');
  });

  it.each([
    [false, true],
    [true, false],
    [false, false],
  ])('is absent with trackingConsent %s and list default %s', (consent, listDefault) => {
    const { message } = allowed(check(marketing(), tracking(consent, listDefault)));
    expect(message.tracked).toBe(false);
    expect(message.html).not.toContain('/v1/pixel');
  });

  it('is added for everyone on an aggregate list, consent or not, with a token that says aggregate', () => {
    for (const consent of [true, false]) {
      const { message } = allowed(check(marketing(), tracking(consent, 'aggregate')));
      expect(message.tracked).toBe(true);
      expect(message.trackingMode).toBe('aggregate');
      const token = /\/v1\/pixel\?token=([A-Za-z0-9_.-]+)"/.exec(message.html)?.[1] ?? '';
      expect(tokens.verify('trackOpen', token)).toEqual({
        ok: true,
        keyId: 'k1',
        data: { contactId: 'c_1', messageId: 'm_1', mode: 'aggregate' },
      });
    }
  });

  it('is absent on a list whose mode is off, and when the caller turned tracking off', () => {
    for (const consent of [true, false]) {
      const { message } = allowed(check(marketing(), tracking(consent, 'off')));
      expect(message.tracked).toBe(false);
      expect(message.trackingMode).toBeUndefined();
      expect(message.html).not.toContain('/v1/pixel');
    }
    const { message } = allowed(check(marketing({ tracking: false }), tracking(true, 'aggregate')));
    expect(message.html).not.toContain('/v1/pixel');
  });

  it('is absent when the caller gave only text (the HTML is ours)', () => {
    const { message } = allowed(check(marketing({ html: undefined }), tracking(true, true)));
    expect(message.tracked).toBe(false);
    expect(message.html).not.toContain('<img');
  });

  it('is never added to announcements or transactional messages', () => {
    const trackingHolder = accountHolder({
      trackingConsent: true,
      list: { listId: 'weekly-news', name: 'Weekly News', trackingMode: 'per-person' },
    });
    for (const draft of [
      announcement({ html: '<p>Maintenance</p>' }),
      transactional({ html: '<p>Ready</p>' }),
    ]) {
      const { message } = allowed(check(draft, trackingHolder));
      expect(message.tracked).toBe(false);
      expect(message.html).not.toContain('/v1/pixel');
    }
  });
});

describe('compliance policy: bodies', () => {
  it('generates the text part from the HTML when only HTML is given', () => {
    const { message } = allowed(
      check(
        marketing({
          text: undefined,
          html: '<html><body><h2>News</h2><p>Read <a href="https://example.com/a">the article</a>.</p><ul><li>One</li></ul></body></html>',
        }),
      ),
    );
    expect(message.text).toMatch(
      /^News\n\nRead the article \[https:\/\/example\.com\/a\]\.\n\n \* One\n\n--\n/,
    );
    expect(message.text).not.toContain('<');
  });

  it('generates escaped HTML paragraphs from the text when only text is given', () => {
    const { message } = allowed(
      check(marketing({ html: undefined, text: 'Fish & chips <today>\n\nSecond line' })),
    );
    expect(message.html).toMatch(
      /^<p>Fish &amp; chips &lt;today&gt;<\/p>\n<p>Second line<\/p>\n<div lang="en"/,
    );
  });
});

describe('compliance policy: headers', () => {
  it('refuses a line break in the subject and a header name with a colon or a space', () => {
    const refusals = refused(
      check(
        marketing({
          subject: 'Hello\nBcc: victim@example.net',
          headers: [
            { name: 'X-Bad:Name', value: 'x' },
            { name: 'X Bad', value: 'x' },
            { name: 'X-Sep', value: 'a\u2028b' },
            { name: 'X-Nul', value: 'a\u0000b' },
          ],
        }),
      ),
    );
    expect(refusals.map((r) => [r.code, r.field])).toEqual([
      ['header_injection', 'subject'],
      ['header_injection', 'headers[0]'],
      ['header_injection', 'headers[1]'],
      ['header_injection', 'headers.X-Sep'],
      ['header_injection', 'headers.X-Nul'],
    ]);
  });

  it('accepts values of exactly 870 characters and refuses 871, subject included', () => {
    allowed(
      check(marketing({ subject: 's'.repeat(870), headers: [{ name: 'X-Note', value: 'a'.repeat(870) }] })),
    );
    const refusals = refused(check(marketing({ subject: 's'.repeat(871) })));
    expect(refusals).toEqual([{ code: 'header_too_long', message: expect.any(String), field: 'subject' }]);
  });

  it('counts our two List-Unsubscribe headers towards the limit of 15', () => {
    const { message } = allowed(check(marketing({ headers: manyHeaders(13) })));
    expect(message.headers).toHaveLength(15);
    expect(codes(check(marketing({ headers: manyHeaders(14) })))).toEqual(['too_many_headers']);
  });

  it('allows 15 caller headers on an announcement, which adds none', () => {
    const { message } = allowed(check(announcement({ headers: manyHeaders(15) }), accountHolder()));
    expect(message.headers).toHaveLength(15);
    expect(codes(check(announcement({ headers: manyHeaders(16) }), accountHolder()))).toEqual([
      'too_many_headers',
    ]);
  });

  it('refuses reserved header names in any letter case and keeps other caller headers', () => {
    const refusals = refused(
      check(
        marketing({
          headers: [
            { name: 'list-unsubscribe', value: '<https://evil.example>' },
            { name: 'FROM', value: 'ceo@example.com' },
            { name: 'message-id', value: '<x@example.com>' },
            { name: 'Dkim-Signature', value: 'v=1' },
          ],
        }),
      ),
    );
    expect(refusals.map((r) => [r.code, r.field])).toEqual([
      ['reserved_header', 'headers.list-unsubscribe'],
      ['reserved_header', 'headers.FROM'],
      ['reserved_header', 'headers.message-id'],
      ['reserved_header', 'headers.Dkim-Signature'],
    ]);
    const { message } = allowed(check(marketing({ headers: [{ name: 'X-Campaign', value: 'spring' }] })));
    expect(message.headers.at(-1)).toEqual({ name: 'X-Campaign', value: 'spring' });
  });

  it.each([
    'RE: hello',
    'Re : hello',
    're[2]: hello',
    'FW: hello',
    'Fwd: hello',
    'TR: hello',
    'AW: hello',
    'SV: hello',
    'WG: hello',
    '\u200BRE: hello',
    '\uFEFF Fwd: hello',
  ])('refuses the reply or forward prefix in %j', (subject) => {
    expect(codes(check(marketing({ subject })))).toEqual(['deceptive_subject']);
  });

  it('does not mistake ordinary words for reply prefixes', () => {
    allowed(check(marketing({ subject: 'Reminder: Retreat, Trends and Software' })));
  });

  it.each(['In-Reply-To', 'references', 'Thread-Topic', 'X-SES-CONFIGURATION-SET', 'Errors-To'])(
    'refuses a caller setting %s (threading or SES control headers)',
    (name) => {
      expect(codes(check(marketing({ headers: [{ name, value: '<x@example.com>' }] })))).toEqual([
        'reserved_header',
      ]);
    },
  );
});

describe('compliance policy: service announcements', () => {
  it('reach an account holder who unsubscribed from all marketing, without any way-out headers', () => {
    const { message, exemption } = allowed(
      check(
        announcement({ category: 'policy-change', subject: 'Changes to our privacy policy' }),
        accountHolder({
          marketingOptOut: true,
          subscription: { status: 'unsubscribed', consentText: null, affirmative: true },
          suppression: { reason: 'unsubscribed', scope: 'all' },
        }),
      ),
    );
    expect(exemption).toEqual({
      type: 'service-announcement',
      category: 'policy-change',
      reason: 'account holder: service announcements are exempt from marketing opt-outs',
    });
    expect(message.headers).toEqual([]);
    expect(message.tags).toEqual({
      messageId: 'm_1',
      kind: 'announcement',
      campaignId: 'cmp_1',
      category: 'policy-change',
    });
    for (const part of [message.html, message.text]) {
      expect(part).toContain(
        'You receive this service announcement (change to our terms or policies) because you have an account with Example Co. It is not marketing and is sent whatever your marketing choices.',
      );
      expect(part).toContain('1 Main Street, Springfield, IL 62701, USA');
      expect(part).not.toContain('/v1/unsubscribe');
    }
  });

  it('explain themselves in French', () => {
    const { message } = allowed(
      check(announcement({ category: 'security-notice' }), accountHolder({ locale: 'fr' })),
    );
    expect(message.text).toContain(
      'Vous recevez cette annonce de service (alerte de sécurité) parce que vous avez un compte chez Example Co.',
    );
  });

  it.each([
    ['hard-bounced', accountHolder({ suppression: { reason: 'hard-bounce', scope: 'all' } }), 'suppressed'],
    ['erased', accountHolder({ suppression: { reason: 'erased', scope: 'all' } }), 'suppressed'],
    ['admin-blocked', accountHolder({ suppression: { reason: 'admin', scope: 'all' } }), 'suppressed'],
    ['deactivated', accountHolder({ accountStatus: 'deactivated' }), 'account_deactivated'],
    ['non-holder', recipient(), 'not_account_holder'],
  ] as const)('are refused to a %s address', (_, state, code) => {
    expect(codes(check(announcement(), state))).toEqual([code]);
  });

  it('after a complaint, allow security notices only', () => {
    const complained = accountHolder({
      suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
    });
    allowed(
      check(
        announcement({ category: 'security-notice', subject: 'New sign-in to your account' }),
        complained,
      ),
    );
    for (const category of ['maintenance', 'policy-change', 'account'] as const) {
      expect(codes(check(announcement({ category }), complained))).toEqual([
        'complaint_allows_security_notices_only',
      ]);
    }
  });

  describe('to everyone concerned (policy-change and security notices)', () => {
    const notice = (overrides: Partial<MessageDraft> = {}) =>
      announcement({ category: 'policy-change', audience: 'everyone-concerned', ...overrides });
    const formerSubscriber = recipient({
      marketingOptOut: true,
      subscription: null,
      list: null,
      suppression: { reason: 'unsubscribed', scope: 'all' },
    });

    it('reach a former subscriber with no account, saying why without claiming an account', () => {
      const { message, exemption } = allowed(check(notice(), formerSubscriber));
      expect(exemption).toMatchObject({
        type: 'service-announcement',
        category: 'policy-change',
        reason: expect.stringContaining('person concerned'),
      });
      expect(message.text).toContain(
        'You receive this notice (change to our terms or policies) because Example Co holds personal data about you.',
      );
      expect(message.text).not.toContain('account');
      expect(message.headers).toEqual([]);
    });

    it('reach a deactivated account holder too: the notice concerns their data, not their account', () => {
      allowed(
        check(notice({ category: 'security-notice' }), accountHolder({ accountStatus: 'deactivated' })),
      );
    });

    it('are only policy-change and security notices', () => {
      for (const category of ['maintenance', 'account'] as const) {
        expect(codes(check(notice({ category }), formerSubscriber))).toEqual(['notice_category_required']);
      }
    });

    it.each([
      ['hard-bounced', 'hard-bounce', 'suppressed'],
      ['erased', 'erased', 'suppressed'],
      ['admin-blocked', 'admin', 'suppressed'],
      ['complaining', 'complaint', 'complaint_allows_security_notices_only'],
    ] as const)('are refused to a %s address like any announcement', (_, reason, code) => {
      const state = recipient({ subscription: null, list: null, suppression: { reason, scope: 'all' } });
      expect(codes(check(notice(), state))).toEqual([code]);
    });

    it('reach a contact that exists only through an unconfirmed signup with a security notice only', () => {
      const pendingOnly = recipient({ subscription: null, list: null, pendingOnly: true });
      expect(codes(check(notice(), pendingOnly))).toEqual(['unconfirmed_signup_only']);
      allowed(check(notice({ category: 'security-notice' }), pendingOnly));
    });

    it('reach a complaining address with a security notice only', () => {
      const complained = recipient({
        suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
      });
      allowed(check(notice({ category: 'security-notice' }), complained));
    });
  });

  it('refuses promotional wording in English, naming every term found', () => {
    const refusals = refused(
      check(
        announcement({
          subject: 'Maintenance complete',
          text: 'Thanks for your patience! Use coupon THANKS for free shipping, limited time only. Buy now.',
        }),
        accountHolder(),
      ),
    );
    expect(refusals).toEqual([
      {
        code: 'promotional_announcement',
        field: 'text',
        message: expect.stringContaining('("coupon", "free shipping", "limited time", "buy now")'),
      },
    ]);
  });

  it('refuses promotional wording in French, accents optional', () => {
    for (const text of [
      'Profitez de -20 % sur votre abonnement.',
      'Profitez de 20 % de réduction sur votre abonnement.',
      'Une REDUCTION exceptionnelle pour vous.',
      'Les soldes commencent : livraison gratuite !',
      'Votre code promo vous attend. Achetez maintenant.',
      'Découvrez nos offres et nos bons plans.',
    ]) {
      const decision = check(
        announcement({ subject: 'Maintenance terminée', text }),
        accountHolder({ locale: 'fr' }),
      );
      expect(codes(decision), text).toEqual(['promotional_announcement']);
    }
  });

  it('looks at the HTML part too', () => {
    const decision = check(
      announcement({
        text: 'Maintenance is over.',
        html: '<p>Maintenance is over. <b>50% off</b> this week!</p>',
      }),
      accountHolder(),
    );
    expect(refused(decision)).toEqual([
      { code: 'promotional_announcement', field: 'html', message: expect.stringContaining('"% off"') },
    ]);
  });

  it('matches whole words only', () => {
    allowed(
      check(
        announcement({
          subject: 'Wholesale pricing page maintenance',
          text: 'Votre solde reste disponible. Salesforce sync is paused.',
        }),
        accountHolder(),
      ),
    );
  });

  it('reads the whole body: a long neutral preamble does not hide the offer after it', () => {
    const preamble = 'We are writing to tell you about a change to your account settings. '.repeat(40);
    for (const body of [
      { text: `${preamble}\n\nBig sale!` },
      { html: `<p>${preamble}</p><p>Big sale!</p>` },
    ]) {
      expect(codes(check(announcement({ text: undefined, ...body }), accountHolder()))).toEqual([
        'promotional_announcement',
      ]);
    }
  });

  it('records the override when the sender says why it is not promotional', () => {
    const { exemption } = allowed(
      check(
        announcement({
          category: 'policy-change',
          subject: 'Changes to our offer terms',
          promotionalOverride: { reason: 'legal notice about existing contract terms' },
        }),
        accountHolder(),
      ),
    );
    expect(exemption).toEqual({
      type: 'service-announcement',
      category: 'policy-change',
      reason: 'account holder: service announcements are exempt from marketing opt-outs',
      promotionalOverride: { reason: 'legal notice about existing contract terms' },
    });
  });

  it('ignores a blank override', () => {
    const decision = check(
      announcement({ subject: 'Our offer', promotionalOverride: { reason: '  ' } }),
      accountHolder(),
    );
    expect(codes(decision)).toEqual(['promotional_announcement']);
  });
});

describe('compliance policy: an announcement is judged on what its reader sees', () => {
  const complained = accountHolder({
    suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
  });
  const judged = (draft: Partial<MessageDraft>, state = accountHolder()) =>
    check(announcement({ category: 'account', ...draft }), state);

  it.each([
    ['English synonyms', 'Black Friday: your plan at half price'],
    ['English synonyms', 'Clearance of old plans: a real bargain'],
    ['English synonyms', 'Cyber Monday is here: save 30% on renewals'],
    ['English synonyms', 'An exclusive special price for your account'],
    ['French', 'Votre abonnement à moitié prix'],
    ['French', 'Prix cassés et déstockage sur les options'],
    ['French', 'Vente flash : un bon de réduction vous attend'],
    ['German', 'Unser Sonderangebot: 20 % Rabatt im Ausverkauf'],
    ['German', 'Gratis Versand für Ihr Konto'],
    ['Spanish', 'Oferta: descuento en rebajas'],
    ['Spanish', 'Envío gratis en tu cuenta'],
    ['zero-width characters', 'Your dis\u200Bcount is wai\u200Cting, fr\u200Dee ship\u2060ping'],
    ['a soft hyphen', 'Account clear\u00ADance event'],
    ['bidi controls', 'Account \u202Ddeal\u202C of the week'],
    ['Cyrillic look-alikes', 'Ѕаlе on your account'],
    ['fullwidth letters', 'ＳＡＬＥ on your account'],
  ])('refuses promotion written with %s: %s', (_evasion, wording) => {
    for (const draft of [
      { subject: wording },
      { text: `Account update.\n\n${wording}` },
      { text: undefined, html: `<p>Account update.</p><p>${wording}</p>` },
    ]) {
      // A bidi override also hides what a subject says from the reader: never allowed in a header.
      const inHeader = draft.subject !== undefined && /[\u202A-\u202E]/.test(draft.subject);
      expect(codes(judged(draft)), JSON.stringify(draft)).toEqual(
        inHeader ? ['promotional_announcement', 'header_injection'] : ['promotional_announcement'],
      );
    }
  });

  it('refuses a "security notice" carrying an upgrade offer, also to a person who complained', () => {
    const draft = {
      category: 'security-notice' as const,
      subject: 'Security notice about your account',
      text: 'We have improved two-factor authentication. Upgrade now to Premium and get it half price!',
    };
    const refusals = refused(judged(draft, complained));
    expect(refusals).toEqual([
      {
        code: 'promotional_announcement',
        field: 'text',
        message: expect.stringContaining('("half price", "upgrade now")'),
      },
    ]);
  });

  it.each([
    ['display:none', '<div style="display:none">Half price today</div>'],
    ['a <style> class rule', '<style>.pre { display: none }</style><div class="pre">Half price today</div>'],
    ['visibility:hidden', '<span style="visibility:hidden">Half price today</span>'],
    ['font-size:0', '<span style="font-size:0px">Half price today</span>'],
    ['opacity:0', '<span style="opacity:0">Half price today</span>'],
    ['the hidden attribute', '<p hidden>Half price today</p>'],
    ['zero size', '<div style="max-height:0;overflow:hidden">Half price today</div>'],
    ['mso-hide:all', '<div style="mso-hide:all">Half price today</div>'],
    ['white on white', '<td bgcolor="#ffffff"><span style="color:#FFF">Half price today</span></td>'],
    ['off-screen', '<div style="position:absolute;left:-9999px">Half price today</div>'],
  ])('refuses hidden content (%s), override or not', (_how, hidden) => {
    const html = `<html><body><p>Scheduled maintenance on Sunday.</p>${hidden}</body></html>`;
    for (const override of [undefined, { reason: 'legal wording, not an offer' }]) {
      const refusals = refused(
        judged({ text: undefined, html, ...(override ? { promotionalOverride: override } : {}) }),
      );
      expect(refusals.map((refusal) => refusal.code)).toContain('announcement_hidden_content');
      expect(refusals.find((refusal) => refusal.code === 'announcement_hidden_content')).toMatchObject({
        field: 'html',
        message: expect.stringContaining('"Half price today"'),
      });
    }
  });

  it.each([
    {
      category: 'maintenance' as const,
      subject: 'Scheduled maintenance on Sunday',
      text: 'The service will be unavailable from 02:00 to 03:00 UTC. No action is needed.',
    },
    {
      category: 'policy-change' as const,
      subject: 'We are updating our privacy policy',
      html: '<html><head><style>@media (max-width:600px){ .wide { display:none } }</style></head><body><h1>Privacy policy</h1><p class="wide">We now say how long we keep your data.</p><!-- internal note: no sale --></body></html>',
    },
    {
      category: 'policy-change' as const,
      subject: 'Nous modifions nos conditions',
      text: 'Nos conditions d’utilisation précisent désormais la durée de conservation de vos données.',
    },
    {
      category: 'security-notice' as const,
      subject: 'Security breach: please reset your password',
      text: 'We detected unauthorised access to our systems. Your account balance was not affected. Reset your password and review your recent sign-ins.',
    },
    {
      category: 'security-notice' as const,
      subject: 'Incident de sécurité : réinitialisez votre mot de passe',
      html: '<p>Nous avons détecté un accès non autorisé. Votre <b>solde</b> n’a pas été modifié.</p><p>Réinitialisez votre mot de passe.</p>',
    },
  ])('lets a genuine announcement through: $subject', (draft) => {
    allowed(
      judged(
        { text: undefined, ...draft },
        draft.category === 'security-notice' ? complained : accountHolder(),
      ),
    );
  });
});

describe('compliance policy: transactional messages', () => {
  it('are allowed without any consent, with the sender footer and no way-out headers', () => {
    const { message, exemption } = allowed(
      check(
        transactional(),
        recipient({
          subscription: null,
          list: null,
          marketingOptOut: true,
          suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
        }),
      ),
    );
    expect(exemption).toEqual({ type: 'transactional', purpose: 'data-request', rightsRequestId: 'rr_1' });
    expect(message.headers).toEqual([]);
    expect(message.tags).toEqual({
      messageId: 'm_1',
      kind: 'transactional',
      campaignId: 'cmp_1',
      purpose: 'data-request',
    });
    for (const part of [message.html, message.text]) {
      expect(part).toContain('Example Co');
      expect(part).toContain('1 Main Street, Springfield, IL 62701, USA');
      expect(part).toContain('This is a service message about a request made with your address.');
      expect(part).not.toContain('/v1/preferences');
    }
  });

  it.each(['hard-bounce', 'soft-bounces', 'admin'] as const)('are refused after %s', (reason) => {
    expect(codes(check(transactional(), recipient({ suppression: { reason, scope: 'all' } })))).toEqual([
      'suppressed',
    ]);
  });

  it('referrals are refused for any suppression', () => {
    const state = recipient({ suppression: { reason: 'unsubscribed', scope: 'all' } });
    allowed(check(transactional({ purpose: 'confirmation' }), state));
    expect(codes(check(transactional({ purpose: 'referral' }), state))).toEqual(['suppressed']);
  });
});

describe('compliance policy: data-request emails', () => {
  const complainedAndUnsubscribed = (overrides: Partial<RecipientState> = {}) =>
    recipient({
      marketingOptOut: true,
      suppression: { reason: 'complaint', scope: 'marketing-and-announcements' },
      ...overrides,
    });

  it('need an open rights request of the recipient', () => {
    const field = (decision: PolicyDecision) => refused(decision).map((refusal) => refusal.field);
    const withoutId = check(transactional({ rightsRequestId: undefined }));
    expect(codes(withoutId)).toEqual(['rights_request_required']);
    expect(field(withoutId)).toEqual(['rightsRequestId']);
    expect(codes(check(transactional(), recipient({ rightsRequest: null })))).toEqual([
      'rights_request_not_found',
    ]);
    expect(codes(check(transactional({ rightsRequestId: 'rr_2' })))).toEqual(['rights_request_not_found']);
    const elsewhere = { rightsRequestId: 'rr_1', contactId: 'c_2', status: 'verified' as const };
    expect(codes(check(transactional(), recipient({ rightsRequest: elsewhere })))).toEqual([
      'rights_request_other_contact',
    ]);
    for (const status of ['completed', 'denied'] as const) {
      const closed = { rightsRequestId: 'rr_1', contactId: 'c_1', status };
      expect(codes(check(transactional(), recipient({ rightsRequest: closed })))).toEqual([
        'rights_request_closed',
      ]);
    }
    allowed(
      check(
        transactional(),
        recipient({ rightsRequest: { ...elsewhere, contactId: 'c_1', status: 'received' } }),
      ),
    );
  });

  it('must not promote anything, and no override lets them', () => {
    const decision = check(
      transactional({
        subject: 'Your data export',
        html: '<p>Here is your export. Also: 20% off everything this week, use our coupon!</p>',
        text: undefined,
        promotionalOverride: { reason: 'it is fine' },
      }),
    );
    expect(codes(decision)).toEqual(['promotional_data_request']);
    expect(refused(decision)[0]?.field).toBe('html');
  });

  it('reach a person who complained and unsubscribed from everything only to answer their open request', () => {
    allowed(check(transactional(), complainedAndUnsubscribed()));
    expect(codes(check(transactional({ rightsRequestId: undefined }), complainedAndUnsubscribed()))).toEqual([
      'rights_request_required',
    ]);
  });

  it.each(['erased', 'hard-bounce', 'soft-bounces', 'admin'] as const)(
    'are never sent to an address suppressed for %s, even with an open request',
    (reason) => {
      expect(codes(check(transactional(), recipient({ suppression: { reason, scope: 'all' } })))).toEqual([
        'suppressed',
      ]);
    },
  );
});

describe('compliance policy: helpers', () => {
  it('sanitises SES tag values', () => {
    expect(sanitiseTagValue('a.b c/é')).toBe('a_b_c__');
    expect(sanitiseTagValue('x'.repeat(300))).toHaveLength(256);
  });

  it('finds promotional terms per language', () => {
    expect(findPromotionalTerms('Réduction exceptionnelle')).toEqual([{ language: 'fr', term: 'réduction' }]);
    expect(findPromotionalTerms('Your balance')).toEqual([]);
  });
});

describe('compliance policy: content per locale', () => {
  const bilingual = (fr: Partial<{ subject: string; html: string; text: string }> = {}) =>
    marketing({
      versions: {
        fr: {
          subject: 'Cette semaine chez Example Co',
          html: '<!doctype html><html><body><p>Trois nouveaux articles.</p></body></html>',
          text: 'Trois nouveaux articles.',
          ...fr,
        },
      },
    });

  it('gives each recipient their locale’s version, with the footer in that language', () => {
    const fr = allowed(check(bilingual(), recipient({ locale: 'fr' }))).message;
    expect(fr.subject).toBe('Cette semaine chez Example Co');
    expect(fr.html).toContain('Trois nouveaux articles.');
    expect(fr.text).toContain('Se désinscrire de');
    expect(fr.html).not.toContain('Three new articles');
    const en = allowed(check(bilingual(), recipient({ locale: 'en' }))).message;
    expect(en.subject).toBe('This week at Example Co');
    expect(en.html).toContain('Three new articles.');
    expect(en.html).not.toContain('Trois');
  });

  it('falls back to the en version for a locale without its own, the footer still in the reader’s language', () => {
    const { message } = allowed(check(marketing(), recipient({ locale: 'fr' })));
    expect(message.subject).toBe('This week at Example Co');
    expect(message.text).toContain('Se désinscrire de');
  });

  it('refuses a deceptive subject in any version, whichever version the recipient gets', () => {
    const enReader = refused(check(bilingual({ subject: 'TR: Cette semaine' }), recipient({ locale: 'en' })));
    expect(enReader).toContainEqual(
      expect.objectContaining({ code: 'deceptive_subject', field: 'content.fr.subject' }),
    );
    const frReader = refused(
      check({ ...bilingual(), subject: 'RE: This week' }, recipient({ locale: 'fr' })),
    );
    expect(frReader).toContainEqual(
      expect.objectContaining({ code: 'deceptive_subject', field: 'content.en.subject' }),
    );
    // The version the reader gets is judged under its own field names.
    const own = refused(check(bilingual({ subject: 'Fwd: Cette semaine' }), recipient({ locale: 'fr' })));
    expect(own).toContainEqual(expect.objectContaining({ code: 'deceptive_subject', field: 'subject' }));
  });

  it('refuses a header injection or an empty body in another language’s version', () => {
    const refusals = refused(
      check(bilingual({ subject: 'Cette semaine\r\nBcc: x@example.org', html: ' ', text: '' }), recipient()),
    );
    expect(refusals).toContainEqual(
      expect.objectContaining({ code: 'header_injection', field: 'content.fr.subject' }),
    );
    expect(refusals).toContainEqual(expect.objectContaining({ code: 'body_required', field: 'content.fr' }));
  });

  it('refuses promotional wording in the French version of an announcement sent to an English reader', () => {
    const draft = announcement({
      versions: { fr: { subject: 'Maintenance : 20 % de réduction', text: 'Le service sera indisponible.' } },
    });
    expect(refused(check(draft, accountHolder()))).toContainEqual(
      expect.objectContaining({ code: 'promotional_announcement', field: 'content.fr.subject' }),
    );
  });
});
