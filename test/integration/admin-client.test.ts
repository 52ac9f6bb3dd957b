import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminClient, createAdminClient } from '../../clients/admin/src/index';
import { ADMIN_CLIENT_SCHEMA_PATH, adminClientSchemaSource } from '../../functions/local/admin-client-schema';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { Runtime } from '../../shared/runtime';
import { localAppFor } from '../support/apps';
import { serveOnFreePort } from '../support/browser';
import { testCampaignRunner } from '../support/campaigns';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

/** The typed admin client (clients/admin): in step with the API's document, and enough to run a campaign. */

describe('the typed admin client', () => {
  it('is generated from the admin API as it is now (run `npm run generate-client` when this fails)', async () => {
    const committed = await readFile(ADMIN_CLIENT_SCHEMA_PATH, 'utf8');
    expect(await adminClientSchemaSource()).toBe(committed);
  });

  describe('against the local server on a real port', () => {
    let runtime: Runtime;
    let server: Awaited<ReturnType<typeof serveOnFreePort>>;
    let runner: CampaignRunner;
    let client: AdminClient;
    beforeAll(async () => {
      runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '200' });
      server = await serveOnFreePort(localAppFor(runtime));
      runner = await testCampaignRunner(runtime);
      client = createAdminClient({ baseUrl: server.origin, apiKey: runtime.config.adminApiKey ?? '' });
    });
    afterAll(async () => {
      await runner?.stop();
      await server?.close();
    });

    it('refuses a wrong key with the API error shape, typed', async () => {
      const wrong = createAdminClient({ baseUrl: server.origin, apiKey: 'cm_not_a_key' });
      const { data, error, response } = await wrong.GET('/admin/v1/lists');
      expect(response.status).toBe(401);
      expect(data).toBeUndefined();
      expect(error?.error.code).toEqual(expect.any(String));
    });

    it('drives a campaign from create to completion through the client alone', async () => {
      const listId = `client-${randomUUID().slice(0, 8)}`;
      const list = await client.POST('/admin/v1/lists', {
        body: {
          listId,
          texts: { en: { name: 'Client news', description: 'News sent through the typed client' } },
          doubleOptIn: true,
          welcomeEmail: { enabled: false, content: {} },
          minimumAge: null,
          trackingAllowedByDefault: false,
        },
      });
      expect(list.response.status, JSON.stringify(list.error)).toBe(201);
      const wording = await client.POST('/admin/v1/lists/{listId}/consent-texts', {
        params: { path: { listId } },
        body: { locale: 'en', text: 'Yes, send me the news. I can unsubscribe at any time.' },
      });
      expect(wording.response.status, JSON.stringify(wording.error)).toBe(201);

      const emails = [0, 1, 2].map((n) => `reader${n}-${randomUUID()}@example.org`);
      const imported = await client.POST('/admin/v1/contacts/import', {
        body: {
          contacts: emails.map((email) => ({
            email,
            lists: [
              {
                listId,
                optIn: {
                  at: '2024-03-01T10:00:00Z',
                  source: 'https://shop.example.com/newsletter',
                  consentTextVersion: 1,
                },
              },
            ],
          })),
        },
      });
      expect(imported.response.status, JSON.stringify(imported.error)).toBe(200);

      const subject = `Client news ${randomUUID().slice(0, 8)}`;
      const created = await client.POST('/admin/v1/campaigns', {
        // tracking and advertisement have defaults, so the types let them be left out.
        body: { name: 'Through the client', listId, subject, text: 'Hello {{firstName|there}}.' },
      });
      expect(created.response.status, JSON.stringify(created.error)).toBe(201);
      const campaignId = created.data?.campaignId ?? '';
      const started = await client.POST('/admin/v1/campaigns/{campaignId}/start', {
        params: { path: { campaignId } },
      });
      expect(started.response.status, JSON.stringify(started.error)).toBe(200);

      const deadline = Date.now() + 60_000;
      let campaign = started.data;
      while (campaign?.status !== 'completed') {
        if (Date.now() > deadline) throw new Error(`campaign not completed: ${JSON.stringify(campaign)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const got = await client.GET('/admin/v1/campaigns/{campaignId}', {
          params: { path: { campaignId } },
        });
        expect(got.response.status).toBe(200);
        campaign = got.data;
      }
      expect(campaign.progress).toMatchObject({ total: 3, sent: 3, failed: 0, remaining: 0 });
      for (const email of emails) {
        expect((await sentMailTo(email)).map((mail) => mail.subject)).toEqual([subject]);
      }
      const stats = await client.GET('/admin/v1/campaigns/{campaignId}/stats', {
        params: { path: { campaignId } },
      });
      expect(stats.response.status).toBe(200);
    });
  });
});
