import {
  cancelCampaign,
  pauseCampaign,
  resumeCampaign,
  startCampaign,
} from '../../../shared/campaigns/campaign-lifecycle';
import { campaignProgress } from '../../../shared/campaigns/campaign-progress';
import {
  type Campaign,
  type CampaignContent,
  campaignVersionsOf,
  createCampaign,
  getCampaign,
  listCampaigns,
} from '../../../shared/campaigns/campaigns';
import { preflightCampaign } from '../../../shared/campaigns/preflight';
import { campaignFields } from '../../../shared/data-model/campaign-items';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { getList } from '../../../shared/lists/lists';
import { draftContentOf, oneContentShape } from '../../../shared/sending/draft-versions';
import type { SendDependencies } from '../../../shared/sending/send-dependencies';
import type { TableAccess } from '../../../shared/table-access';
import { headerSafeText, listId, messageContentFields, opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * Campaigns: one message to every confirmed subscriber of a list, sent by the fan-out (docs/campaigns.md).
 * Create (optionally scheduled), start, pause, resume, cancel, and watch progress.
 */

const CampaignIdParam = z.object({ campaignId: opaqueId() });

const CreateCampaignBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .openapi({ description: 'For the operator; never shown to recipients.' }),
    listId: listId().openapi({ description: 'Every confirmed subscriber of this list receives it.' }),
    ...messageContentFields(() => headerSafeText({ max: 2000 }), { requireBody: true }),
    tracking: z.boolean().default(true).openapi({
      description: 'Open pixel, as the list’s tracking mode allows (docs/tracking.md); false: none at all.',
    }),
    advertisement: z
      .boolean()
      .default(false)
      .openapi({ description: 'Show the advertisement notice to everyone.' }),
    scheduledAt: z.iso.datetime({ offset: true }).optional().openapi({
      description: 'Starts by itself at this time; without it the campaign waits for `startCampaign`.',
    }),
  })
  .refine(oneContentShape, {
    message: 'give subject with html or text, or content per locale, not both',
    path: ['content'],
  })
  .refine((body) => body.content !== undefined || body.html !== undefined || body.text !== undefined, {
    message: 'give html or text',
    path: ['text'],
  })
  .openapi('CreateCampaignRequest', {
    description:
      'Subject and body may use `{{firstName}}` and `{{name}}`, with a fallback: `{{firstName|there}}`.',
  });

const ProgressSchema = z
  .object({
    total: z
      .number()
      .int()
      .openapi({ description: 'Recipients planned so far (final once `planningDone`).' }),
    planningDone: z.boolean(),
    sent: z.number().int(),
    skipped: z.record(z.string(), z.number().int()).openapi({ description: 'By refusal code.' }),
    skippedTotal: z.number().int(),
    failed: z.number().int(),
    uncertain: z.number().int().openapi({
      description: 'A crash between SES and our record: maybe sent, never resent (docs/campaigns.md).',
    }),
    remaining: z.number().int(),
    rate: z.number().openapi({ description: 'Emails per second since the start.' }),
  })
  .openapi('CampaignProgress');

/**
 * The campaign as stored (shared/data-model/campaign-items.ts) without its bookkeeping (the override's
 * reason, the key that asked, the planner's counts), which no answer shows.
 */
const shownCampaign = campaignFields.omit({
  promotionalOverride: true,
  requestedByKeyId: true,
  planned: true,
  outstanding: true,
  planning: true,
});

/** A campaign as answered: what is shown of it, and its progress. */
export const CampaignSchema = shownCampaign
  .extend({
    versions: campaignFields.shape.versions.meta({
      description: 'The versions besides `en` (the fields above), by locale.',
    }),
    progress: ProgressSchema,
  })
  .openapi('Campaign');

const campaignResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: CampaignSchema } },
});

const access = adminAccess('campaigns');

const createCampaignRoute = defineRoute({
  method: 'post',
  path: '/admin/v1/campaigns',
  operationId: 'createCampaign',
  tags: ['Campaigns'],
  summary: 'Create a campaign to a list (draft, or scheduled)',
  ...access,
  request: { body: { required: true, content: { 'application/json': { schema: CreateCampaignBody } } } },
  responses: {
    201: campaignResponse('Created.'),
    400: errorResponse(
      'Malformed, an unknown placeholder (`validation_failed`), a placeholder in the HTML outside text and quoted attribute values (`misplaced_placeholder`), or a schedule in the past.',
    ),
    404: errorResponse('No such list.'),
    422: errorResponse('The compliance policy would refuse the content for every recipient.'),
  },
});

const listCampaignsRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/campaigns',
  operationId: 'listCampaigns',
  tags: ['Campaigns'],
  summary: 'Campaigns and announcements, newest first',
  ...access,
  responses: {
    200: {
      description: 'The newest 50.',
      content: { 'application/json': { schema: z.object({ campaigns: z.array(CampaignSchema) }) } },
    },
  },
});

const getCampaignRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/campaigns/{campaignId}',
  operationId: 'getCampaign',
  tags: ['Campaigns'],
  summary: 'A campaign with its live progress',
  ...access,
  request: { params: CampaignIdParam },
  responses: { 200: campaignResponse('The campaign now.'), 404: errorResponse('No such campaign.') },
});

function transitionRoute(action: 'start' | 'pause' | 'resume' | 'cancel', summary: string) {
  return defineRoute({
    method: 'post',
    path: `/admin/v1/campaigns/{campaignId}/${action}`,
    operationId: `${action}Campaign`,
    tags: ['Campaigns'],
    summary,
    ...access,
    request: { params: CampaignIdParam },
    responses: {
      200: campaignResponse('The campaign after the change.'),
      404: errorResponse('No such campaign.'),
      409: errorResponse('Not possible from the campaign’s current status.'),
    },
  });
}

export async function campaignView(access: TableAccess, campaign: Campaign, now = new Date()) {
  return { ...shownCampaign.parse(campaign), progress: await campaignProgress(access, campaign, now) };
}

export function campaignRoutes(deps: SendDependencies) {
  const { access } = deps;
  const transitions = [
    [transitionRoute('start', 'Start sending now (also a scheduled campaign)'), startCampaign],
    [transitionRoute('pause', 'Pause; batches in flight stop within one chunk'), pauseCampaign],
    [transitionRoute('resume', 'Resume a paused campaign where it stopped'), resumeCampaign],
    [transitionRoute('cancel', 'Cancel: nobody else receives it'), cancelCampaign],
  ] as const;
  const router = createRouter()
    .openapi(createCampaignRoute, async (c) => {
      const body = c.req.valid('json');
      await getList(access, body.listId);
      const content: CampaignContent = {
        name: body.name,
        kind: 'marketing',
        audience: { type: 'list', listId: body.listId },
        ...campaignVersionsOf(draftContentOf(body)),
        tracking: body.tracking,
        advertisement: body.advertisement,
        category: null,
        policyEffectiveDate: null,
        promotionalOverride: null,
      };
      preflightCampaign(content, deps);
      const campaign = await createCampaign(access, content, {
        now: new Date(),
        ...(body.scheduledAt ? { scheduledAt: new Date(body.scheduledAt).toISOString() } : {}),
      });
      return c.json(await campaignView(access, campaign), 201);
    })
    .openapi(listCampaignsRoute, async (c) => {
      const campaigns = await listCampaigns(access);
      return c.json(
        { campaigns: await Promise.all(campaigns.map((campaign) => campaignView(access, campaign))) },
        200,
      );
    })
    .openapi(getCampaignRoute, async (c) => {
      const campaign = await getCampaign(access, c.req.valid('param').campaignId);
      return c.json(await campaignView(access, campaign), 200);
    });
  for (const [route, change] of transitions) {
    router.openapi(route, async (c) => {
      const campaign = await change(access, c.req.valid('param').campaignId, new Date());
      return c.json(await campaignView(access, campaign), 200);
    });
  }
  return router;
}
