import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../../../shared/data-model';
import { NotFoundError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { campaignCounters, readCampaignCounters } from '../../../shared/stats/campaign-counters';
import { reputationVerdict } from '../../../shared/stats/reputation-guard';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * `getCampaignStats`: what happened to a campaign's (or an announcement's) messages so far. Counters
 * are summed from their shards with a strongly consistent read; SES events keep arriving for days, so
 * the figures are "as of now".
 */

const Counts = z
  .object(Object.fromEntries(campaignCounters.map((name) => [name, z.number().int()])))
  .openapi('CampaignCounts');

const StatsSchema = z
  .object({
    campaignId: z.string(),
    counts: Counts,
    rates: z.object({
      delivery: z.number(),
      bounce: z.number(),
      complaint: z.number(),
      uniqueHumanOpen: z.number(),
      unsubscribe: z.number(),
    }),
    reputation: z.object({ pauseRecommended: z.boolean(), reason: z.string().nullable() }),
    status: z
      .string()
      .nullable()
      .openapi({ description: 'The campaign status, when a campaign item exists.' }),
    pausedReason: z.string().nullable(),
  })
  .openapi('CampaignStats');

const route = defineRoute({
  method: 'get',
  path: '/admin/v1/campaigns/{campaignId}/stats',
  operationId: 'getCampaignStats',
  tags: ['Statistics'],
  summary: "A campaign's or announcement's sends, deliveries, bounces, complaints, opens and unsubscribes",
  ...adminAccess('campaigns'),
  request: { params: z.object({ campaignId: opaqueId() }) },
  responses: {
    200: { description: 'The statistics so far.', content: { 'application/json': { schema: StatsSchema } } },
    404: errorResponse('Nothing was ever sent for this id.'),
  },
});

const rate = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;

export function campaignStatsRoutes(access: TableAccess) {
  return createRouter().openapi(route, async (c) => {
    const { campaignId } = c.req.valid('param');
    const [counts, campaign] = await Promise.all([
      readCampaignCounters(access, campaignId),
      access.documents.send(
        new GetCommand({ TableName: access.tableName, Key: primaryKeyOf('campaign', { campaignId }) }),
      ),
    ]);
    if (counts.sent === 0 && campaign.Item === undefined) {
      throw new NotFoundError(`Anything sent for "${campaignId}"`);
    }
    const verdict = reputationVerdict(counts);
    return c.json(
      {
        campaignId,
        counts,
        rates: {
          delivery: rate(counts.delivered, counts.sent),
          bounce: rate(counts.bouncedHard + counts.bouncedSoft, counts.sent),
          complaint: rate(counts.complained, counts.sent),
          uniqueHumanOpen: rate(counts.uniqueHumanOpens, counts.delivered || counts.sent),
          unsubscribe: rate(counts.unsubscribed, counts.sent),
        },
        reputation: { pauseRecommended: verdict.pause, reason: verdict.reason },
        status: typeof campaign.Item?.status === 'string' ? campaign.Item.status : null,
        pausedReason: typeof campaign.Item?.pausedReason === 'string' ? campaign.Item.pausedReason : null,
      },
      200,
    );
  });
}
