import { describe, expect, it } from 'vitest';
import { campaignDraft } from '../../shared/campaigns/campaign-draft';
import type { CampaignContent } from '../../shared/campaigns/campaigns';
import { personalise, unknownPlaceholders } from '../../shared/campaigns/personalise';

describe('personalise', () => {
  it('fills first name and full name, with the fallback when there is no name', () => {
    expect(personalise('Hi {{firstName}} ({{name}})', { name: 'Ada King Lovelace' }, 'text')).toBe(
      'Hi Ada (Ada King Lovelace)',
    );
    expect(personalise('Hi {{ firstName | there }}!', { name: null }, 'text')).toBe('Hi there!');
    expect(personalise('Hi {{firstName}}!', { name: '  ' }, 'text')).toBe('Hi !');
  });

  it('escapes values in HTML but not in text', () => {
    const who = { name: '<b>Eve</b> & co' };
    expect(personalise('<p>{{name}}</p>', who, 'html')).toBe('<p>&lt;b&gt;Eve&lt;/b&gt; &amp; co</p>');
    expect(personalise('{{name}}', who, 'text')).toBe('<b>Eve</b> & co');
  });

  it('names every placeholder it does not know', () => {
    expect(unknownPlaceholders('{{firstName}} {{fristName}} {{ email }} {{name|x}}')).toEqual([
      '{{fristName}}',
      '{{ email }}',
    ]);
  });
});

describe('campaignDraft', () => {
  const content: CampaignContent = {
    name: 'n',
    kind: 'marketing',
    audience: { type: 'list', listId: 'news' },
    subject: 'Hello {{firstName|friend}}',
    html: null,
    text: 'Hi {{name}}',
    tracking: false,
    advertisement: true,
    category: null,
    policyEffectiveDate: null,
    promotionalOverride: null,
  };

  it('builds a marketing draft for the list, personalised, with the campaign’s tracking and ad choices', () => {
    expect(campaignDraft(content, { name: 'Grace Hopper', locale: 'en' })).toEqual({
      kind: 'marketing',
      listId: 'news',
      subject: 'Hello Grace',
      text: 'Hi Grace Hopper',
      advertisement: true,
      tracking: false,
    });
  });

  it('states a policy change’s effective date in the recipient’s language', () => {
    const draft = campaignDraft(
      {
        ...content,
        kind: 'announcement',
        audience: { type: 'account-holders' },
        category: 'policy-change',
        policyEffectiveDate: '2027-01-01',
      },
      { name: null, locale: 'fr' },
    );
    expect(draft).toMatchObject({ kind: 'announcement', category: 'policy-change', subject: 'Hello friend' });
    expect(draft.text).toBe('Cette modification prend effet le 2027-01-01.\n\nHi ');
  });
});
