import { describe, expect, it } from 'vitest';
import { buildBulkTemplate } from '../../shared/campaigns/bulk-template';
import {
  misplacedPlaceholderRefusals,
  misplacedPlaceholders,
} from '../../shared/campaigns/placeholder-positions';
import { preflightCampaign } from '../../shared/campaigns/preflight';
import { AppError } from '../../shared/errors';
import {
  policyContext as context,
  storedCampaign,
  subscriberState as subscriber,
} from '../support/campaign-fixtures';

const P = '{{firstName|there}}';
const campaign = (html: string) => storedCampaign({ html });

describe('where a placeholder may stand in the HTML part', () => {
  it.each([
    ['text', `<p>Hi ${P}, and {{name}}</p>`],
    ['a quoted attribute value', `<p class="${P}" title='{{name}} x'>Hi</p>`],
    ['CSS in a style element', `<style>.a{color:${P}}</style><p>Hi</p>`],
    ['a title and a textarea', `<title>${P}</title><textarea>${P}</textarea>`],
    ['an upper-case tag', `<P CLASS="${P}">Hi ${P}</P>`],
    ['text after a lone <', `<p>1 < ${P}</p>`],
  ])('in %s: accepted', (_, html) => {
    expect(misplacedPlaceholders(html)).toEqual([]);
  });

  it.each([
    ['a tag’s list of attributes', `<div ${P}>Hi</div>`, 'in a tag’s list of attributes'],
    ['a tag’s attributes after a quoted one', `<a href="x" ${P}>Hi</a>`, 'in a tag’s list of attributes'],
    ['an attribute’s name', `<div data-${P}="1">Hi</div>`, 'in a tag’s list of attributes'],
    ['a tag’s name', `<h${P}>Hi</h1>`, 'in a tag’s name'],
    ['a tag’s name, whole', `<${P}>Hi`, 'in a tag’s name'],
    ['an unquoted attribute value', `<body style=color:${P}><p>Hi</p></body>`, 'in an unquoted attribute'],
    ['a comment', `<!-- ${P} --><p>Hi</p>`, 'in a comment'],
    ['an Outlook conditional comment', `<!--[if mso]><p>${P}</p><![endif]--><p>Hi</p>`, 'in a comment'],
    ['a script', `<script>var a = "${P}"</script><p>Hi</p>`, 'in a <script>'],
    ['a processing instruction', `<?xml ${P}?><p>Hi</p>`, 'in a declaration'],
    ['a doctype', `<!doctype html ${P}><p>Hi</p>`, 'in a declaration'],
    ['an end tag', `<p>Hi</p ${P}>`, 'where the message never carries it'],
    ['an attribute that is not written', `<p x!="${P}">Hi</p>`, 'where the message never carries it'],
  ])('in %s: refused, saying where', (_, html, where) => {
    expect(misplacedPlaceholders(html)).toEqual([{ placeholder: P, where: expect.stringContaining(where) }]);
  });

  it('names each misplaced placeholder as written, once per occurrence, and each version’s part', () => {
    const refusals = misplacedPlaceholderRefusals({
      ...campaign('<p>{{name}}</p><div {{name}}>x</div>'),
      versions: { fr: { subject: 'Nouvelles', html: `<p class=${P}>x</p>`, text: null } },
    });
    expect(refusals).toEqual([
      { code: 'misplaced_placeholder', field: 'html', message: expect.stringMatching(/^\{\{name\}\} is in/) },
      {
        code: 'misplaced_placeholder',
        field: 'content.fr.html',
        message: expect.stringContaining(`${P} is in an unquoted attribute value`),
      },
    ]);
  });
});

describe('a placeholder where it cannot stand is refused at creation and by the worker’s template', () => {
  const misplaced = `<p>Hello</p><a href="https://example.com/" ${P}>Our news</a>`;

  it('creation answers 400 misplaced_placeholder naming the part', () => {
    const thrown = (() => {
      try {
        preflightCampaign(campaign(misplaced), context);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      kind: 'invalid',
      code: 'misplaced_placeholder',
      details: [{ path: 'html', code: 'misplaced_placeholder', message: expect.stringContaining(P) }],
    });
  });

  it('the worker refuses a stored one for every recipient instead of sending it unfilled', () => {
    // Before: the template was built, its marker lowered to an attribute `qz…v0qz=""` that no value
    // replaced (and, when the random nonce had no letter, the build threw).
    const result = buildBulkTemplate(campaign(misplaced), subscriber(), context);
    expect(result).toEqual({
      ok: false,
      refusals: [
        { code: 'misplaced_placeholder', field: 'html', message: expect.stringContaining('attributes') },
      ],
    });
  });

  it('the worker refuses a value in an unquoted attribute, which a name with a space would rewrite', () => {
    // Before: the copy checked (the personalised one) ended the attribute at the space; the template,
    // written back quoted, sent `style="color:Red ;display:none"` and hid the footer.
    const result = buildBulkTemplate(
      campaign('<body style=color:{{name}}><p>Hello</p></body>'),
      subscriber({ name: 'Red ;display:none' }),
      context,
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.refusals.map((refusal) => refusal.code)).toEqual([
      'misplaced_placeholder',
    ]);
  });
});
