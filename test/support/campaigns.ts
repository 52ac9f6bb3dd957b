import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import {
  type CampaignRunner,
  type CampaignRunnerOptions,
  startCampaignRunner,
} from '../../functions/local/campaign-runner';
import type { CampaignProgress } from '../../shared/campaigns/campaign-progress';
import { campaignMessageId } from '../../shared/campaigns/recipient-claim';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { adminRequest } from './apps';

/** A campaign as `getCampaign` answers it (the fields tests look at). */
export interface CampaignBody {
  campaignId: string;
  status: string;
  progress: Omit<CampaignProgress, 'rate'>;
}

export async function adminJson(runtime: Runtime, path: string, method = 'GET', body?: unknown) {
  const response = await adminRequest(runtime, path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A campaign created through the admin API (`POST /admin/v1/campaigns` with `body`); fails the test unless 201. */
export async function createdCampaign(
  runtime: Runtime,
  body: Record<string, unknown>,
): Promise<CampaignBody> {
  const { status, body: created } = await adminJson(runtime, '/admin/v1/campaigns', 'POST', body);
  expect(status, JSON.stringify(created)).toBe(201);
  return created as unknown as CampaignBody;
}

export async function getCampaignBody(runtime: Runtime, campaignId: string): Promise<CampaignBody> {
  const { status, body } = await adminJson(runtime, `/admin/v1/campaigns/${campaignId}`);
  expect(status).toBe(200);
  return body as unknown as CampaignBody;
}

/**
 * Polls `getCampaign` until `done` holds (or fails the test after `timeoutMs`, with the campaign as it
 * stands): patience for a starved machine, inside vitest's 120 s per test.
 */
export async function waitForCampaign(
  runtime: Runtime,
  campaignId: string,
  done: (campaign: CampaignBody) => boolean = (campaign) => campaign.status === 'completed',
  timeoutMs = 100_000,
): Promise<CampaignBody> {
  const deadline = Date.now() + timeoutMs;
  let campaign = await getCampaignBody(runtime, campaignId);
  while (!done(campaign)) {
    if (Date.now() > deadline) {
      throw new Error(`campaign ${campaignId} did not get there in time: ${JSON.stringify(campaign)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    campaign = await getCampaignBody(runtime, campaignId);
  }
  return campaign;
}

/** The in-process worker with test-friendly timings. */
export function testCampaignRunner(
  runtime: Runtime,
  options: CampaignRunnerOptions = {},
): Promise<CampaignRunner> {
  return startCampaignRunner(runtime, { sweepIntervalMs: 200, taskBudgetMs: 30_000, ...options });
}

/** A campaign recipient's message item as stored (strongly consistent), keys and all. */
export async function storedCampaignMessage(
  runtime: Runtime,
  campaignId: string,
  contactId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await runtime.clients.documents.send(
    new GetCommand({
      TableName: runtime.config.tableName,
      Key: primaryKeyOf('message', { contactId, messageId: campaignMessageId(campaignId, contactId) }),
      ConsistentRead: true,
    }),
  );
  return Item;
}
