import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import {
  adminJson,
  type CampaignBody,
  storedCampaignMessage,
  testCampaignRunner,
  waitForCampaign,
} from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { type SentMail, sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * createCampaign, createAnnouncement and sendMessage take content per locale (`content.en`, `content.fr`);
 * each recipient gets their locale's version (`en` for a locale without one), with the footer, the
 * advertisement notice and an announcement's own sentences in that language, and the compliance policy
 * judges every version, whoever the recipient (docs/sending.md, "Content per locale").
 */

type ErrorBody = { error: { code: string; details?: { path: string; code?: string }[] } };

describe('content in each recipient’s language', () => {
  let runtime: Runtime;
  let runner: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
    // Aggregate tracking: a pixel for everyone, so the bulk path's pixel is seen without tracking consent.
    await givenList(runtime, { listId: 'bilingual', trackingMode: 'aggregate' });
    runner = await testCampaignRunner(runtime);
  });
  afterAll(async () => runner.stop());

  async function speaksFrench(contactId: string) {
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        UpdateExpression: 'SET #locale = :fr',
        ExpressionAttributeNames: { '#locale': 'locale' },
        ExpressionAttributeValues: { ':fr': 'fr' },
      }),
    );
  }

  /** Two English and two French subscribers of the list. */
  async function givenReaders(label: string) {
    const people = await givenConfirmedSubscribers(runtime, 'bilingual', 4, {
      label,
      names: () => 'Ada Lovelace',
    });
    for (const person of people.slice(2)) await speaksFrench(person.contactId);
    return { en: people.slice(0, 2), fr: people.slice(2) };
  }

  const onlyMail = async (email: string): Promise<SentMail> => {
    const mails = await sentMailTo(email);
    expect(mails).toHaveLength(1);
    return mails[0] as SentMail;
  };

  it('a campaign gives each subscriber their locale’s subject, body, footer and pixel', async () => {
    const readers = await givenReaders('campaign');
    const created = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      name: 'Bilingual news',
      listId: 'bilingual',
      content: {
        en: {
          subject: 'News for {{firstName|you}}',
          html: '<p>Hello {{firstName|there}}, here is the news.</p>',
        },
        fr: {
          subject: 'Nouvelles pour {{firstName|vous}}',
          html: '<p>Bonjour {{firstName|à vous}}, voici les nouvelles.</p>',
        },
      },
      advertisement: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const campaign = created.body as unknown as CampaignBody & { versions?: { fr?: { subject: string } } };
    expect(campaign.versions?.fr?.subject).toBe('Nouvelles pour {{firstName|vous}}');
    expect(
      (await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST')).status,
    ).toBe(200);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    expect(done.progress).toMatchObject({ sent: 4, failed: 0, uncertain: 0 });

    for (const person of readers.en) {
      const mail = await onlyMail(person.email);
      expect(mail.subject).toBe('News for Ada');
      expect(mail.body.html).toContain('Hello Ada, here is the news.');
      expect(mail.body.html).toContain('This message is an advertisement.');
      expect(mail.body.text).toContain('Unsubscribe from');
      expect(mail.body.html).not.toContain('Bonjour');
      expect(mail.body.html).toContain('/v1/pixel?token=');
    }
    for (const person of readers.fr) {
      const mail = await onlyMail(person.email);
      expect(mail.subject).toBe('Nouvelles pour Ada');
      expect(mail.body.html).toContain('Bonjour Ada, voici les nouvelles.');
      expect(mail.body.html).toContain('Ce message est une publicité.');
      expect(mail.body.text).toContain('Se désinscrire de');
      expect(mail.body.text).toContain('Bonjour Ada');
      expect(mail.body.html).not.toContain('Hello');
      expect(mail.body.html).toContain('/v1/pixel?token=');
      // The record holds the subject the person got, and the aggregate pixel (no tracking consent needed).
      const Item = await storedCampaignMessage(runtime, campaign.campaignId, person.contactId);
      expect(Item).toMatchObject({ subject: 'Nouvelles pour Ada', tracked: true, trackingMode: 'aggregate' });
    }
  });

  it('refuses a campaign whose French subject is deceptive, as it refuses an English one', async () => {
    const body = (en: string, fr: string) => ({
      name: 'Deceptive',
      listId: 'bilingual',
      content: { en: { subject: en, text: 'News.' }, fr: { subject: fr, text: 'Nouvelles.' } },
    });
    for (const [en, fr, path] of [
      ['News', 'TR: Nouvelles', 'content.fr.subject'],
      ['RE: News', 'Nouvelles', 'subject'],
    ] as const) {
      const { status, body: answer } = await adminJson(runtime, '/admin/v1/campaigns', 'POST', body(en, fr));
      expect(status).toBe(422);
      expect((answer as unknown as ErrorBody).error.details).toContainEqual(
        expect.objectContaining({ path, code: 'deceptive_subject' }),
      );
    }
    // Both shapes at once is a 400.
    const both = await adminJson(runtime, '/admin/v1/campaigns', 'POST', {
      ...body('News', 'Nouvelles'),
      subject: 'News',
    });
    expect(both.status).toBe(400);
  });

  it('sendMessage sends the recipient’s version, and refuses a deceptive version in another language', async () => {
    const readers = await givenReaders('single');
    const french = readers.fr[0];
    const english = readers.en[0];
    if (french === undefined || english === undefined) throw new Error('no readers');
    const send = (contactId: string, frSubject: string) =>
      adminJson(runtime, '/admin/v1/messages', 'POST', {
        contactId,
        kind: 'marketing',
        listId: 'bilingual',
        content: {
          en: { subject: 'Hello', html: '<p>Hi there</p>' },
          fr: { subject: frSubject, html: '<p>Salut</p>' },
        },
      });
    const sent = await send(french.contactId, 'Bonjour');
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body.subject).toBe('Bonjour');
    const mail = await onlyMail(french.email);
    expect(mail.subject).toBe('Bonjour');
    expect(mail.body.html).toContain('Salut');
    expect(mail.body.html).toContain('Gérer vos préférences e-mail');

    const refused = await send(english.contactId, 'Fwd: Bonjour');
    expect(refused.status).toBe(422);
    expect((refused.body as unknown as ErrorBody).error.details).toContainEqual(
      expect.objectContaining({ path: 'content.fr.subject', code: 'deceptive_subject' }),
    );
    expect(await sentMailTo(english.email)).toEqual([]);
  });

  it('an announcement’s body, effective date and footer follow the recipient’s locale; French promotion is refused', async () => {
    const readers = await givenReaders('notice');
    const holders = [readers.en[0], readers.fr[0]];
    for (const holder of holders) {
      const response = await adminJson(runtime, `/admin/v1/contacts/${holder?.contactId}/account`, 'PUT', {
        accountHolder: true,
        accountStatus: 'active',
      });
      expect(response.status).toBe(200);
    }
    const announce = (frSubject: string) =>
      adminJson(runtime, '/admin/v1/announcements', 'POST', {
        category: 'policy-change',
        policyEffectiveDate: '2027-01-01',
        content: {
          en: { subject: 'Privacy policy update', text: 'We changed how long we keep your data.' },
          fr: { subject: frSubject, text: 'Nous avons changé la durée de conservation de vos données.' },
        },
      });
    const promotional = await announce('Politique de confidentialité : 20 % de réduction');
    expect(promotional.status).toBe(422);
    expect((promotional.body as unknown as ErrorBody).error.details).toContainEqual(
      expect.objectContaining({ path: 'content.fr.subject', code: 'promotional_announcement' }),
    );

    const accepted = await announce('Mise à jour de notre politique de confidentialité');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    await waitForCampaign(runtime, String(accepted.body.campaignId));
    const en = await onlyMail(readers.en[0]?.email ?? '');
    expect(en.subject).toBe('Privacy policy update');
    expect(en.body.text).toContain('This change takes effect on 2027-01-01.');
    expect(en.body.text).toContain('We changed how long we keep your data.');
    const fr = await onlyMail(readers.fr[0]?.email ?? '');
    expect(fr.subject).toBe('Mise à jour de notre politique de confidentialité');
    expect(fr.body.text).toContain('Cette modification prend effet le 2027-01-01.');
    expect(fr.body.text).toContain('Nous avons changé la durée de conservation de vos données.');
    expect(fr.body.text).toContain('Vous recevez cette annonce de service');
    expect(fr.body.text).not.toContain('We changed');
  });
});
