import { startCampaign } from '../../../shared/campaigns/campaign-lifecycle';
import {
  type CampaignContent,
  campaignVersionsOf,
  createCampaign,
} from '../../../shared/campaigns/campaigns';
import { preflightCampaign } from '../../../shared/campaigns/preflight';
import { setAccount } from '../../../shared/contacts/account-holder';
import { NotFoundError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { draftContentOf, oneContentShape } from '../../../shared/sending/draft-versions';
import { announcementCategories, noticeCategories } from '../../../shared/sending/message-types';
import type { SendDependencies } from '../../../shared/sending/send-dependencies';
import { headerSafeText, messageContentFields, opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { CampaignSchema, campaignView } from './campaigns';

// `.openapi()` is used below at module load.

/** Account holders and the service announcements that reach them whatever their marketing choices. */

/** Chosen recipients are kept on the campaign item; more than this is the `all-contacts` audience's job. */
export const MAX_CHOSEN_CONTACTS = 1000;

const AnnouncementAudience = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('account-holders') }),
    z.strictObject({ type: z.literal('all-contacts') }),
    z.strictObject({
      type: z.literal('chosen-contacts'),
      contactIds: z.array(opaqueId()).min(1).max(MAX_CHOSEN_CONTACTS),
    }),
  ])
  .openapi('AnnouncementAudience', {
    description:
      '`account-holders` (the default): every active account holder. `all-contacts`: every contact held ' +
      '(subscribers of any list, former subscribers, account holders, imports), and `chosen-contacts`: the ' +
      `contacts named (up to ${MAX_CHOSEN_CONTACTS}, e.g. those a breach affected), both for ` +
      `${noticeCategories.join(' and ')} notices only.`,
  });

const AnnouncementBody = z
  .strictObject({
    category: z.enum(announcementCategories),
    audience: AnnouncementAudience.optional(),
    policyVersion: headerSafeText({ max: 100 })
      .optional()
      .openapi({
        description:
          'The version of the policy a policy change announces (or an incident reference): recorded with ' +
          'each recipient’s notice and shown in their export.',
      }),
    ...messageContentFields(() => headerSafeText({ max: 2000 }), { requireBody: true }),
    policyEffectiveDate: z.iso.date().optional().openapi({ description: 'Required for `policy-change`.' }),
    promotionalOverride: z.strictObject({ reason: z.string().trim().min(3).max(500) }).optional(),
  })
  .refine((body) => body.category !== 'policy-change' || body.policyEffectiveDate !== undefined, {
    message: 'is required for a policy change',
    path: ['policyEffectiveDate'],
  })
  .refine(oneContentShape, {
    message: 'give subject with html or text, or content per locale, not both',
    path: ['content'],
  })
  .refine((body) => body.content !== undefined || body.html !== undefined || body.text !== undefined, {
    message: 'give html or text',
    path: ['text'],
  })
  .refine(
    (body) =>
      (body.audience?.type ?? 'account-holders') === 'account-holders' ||
      (noticeCategories as readonly string[]).includes(body.category),
    {
      message: `only ${noticeCategories.join(' and ')} notices go beyond account holders`,
      path: ['audience'],
    },
  )
  .openapi('AnnouncementRequest');

const AccountBody = z
  .strictObject({
    accountHolder: z.boolean(),
    accountStatus: z.enum(['active', 'deactivated']).optional(),
  })
  .openapi('AccountStatus');

const createAnnouncementRoute = defineRoute({
  method: 'post',
  path: '/admin/v1/announcements',
  operationId: 'createAnnouncement',
  tags: ['Sending'],
  summary:
    'Send a service announcement to every active account holder, or a notice to everyone concerned (through the campaign fan-out)',
  description:
    'Each recipient goes through the compliance policy: announcements reach account holders who left ' +
    'marketing, never deactivated accounts or bounced/erased addresses; after a complaint, security notices ' +
    'only. Policy-change and security notices may instead go to every contact held or to chosen contacts ' +
    '(`audience`), under the same suppression and complaint rules; each recipient sent one gets a notice ' +
    'record with `policyVersion`, kept after the message expires and shown in their export. Promotional wording (read after Unicode normalisation, in the subject, the text part and the ' +
    'visible text of the HTML part) is refused unless `promotionalOverride.reason` is given (recorded); ' +
    'hidden content in the HTML part (display:none, zero size, text coloured like its background…) is ' +
    'always refused.',
  ...adminAccess('send'),
  request: { body: { required: true, content: { 'application/json': { schema: AnnouncementBody } } } },
  responses: {
    202: {
      description:
        'Accepted: the announcement is a running campaign to every account holder; follow it with ' +
        '`getCampaign` (progress, skipped by reason).',
      content: { 'application/json': { schema: CampaignSchema } },
    },
    400: errorResponse(
      'The announcement is malformed (`validation_failed`), or a placeholder in its HTML stands outside text and quoted attribute values (`misplaced_placeholder`).',
    ),
    422: errorResponse(
      'The policy refuses the content (promotional wording without an override, hidden content).',
    ),
  },
});

const setAccountRoute = defineRoute({
  method: 'put',
  path: '/admin/v1/contacts/{contactId}/account',
  operationId: 'setAccountStatus',
  tags: ['Contacts'],
  summary: 'Mark a contact as an account holder (active or deactivated), or not',
  ...adminAccess('contacts:write'),
  request: {
    params: z.object({ contactId: opaqueId() }),
    body: { required: true, content: { 'application/json': { schema: AccountBody } } },
  },
  responses: {
    200: {
      description: 'The account state now.',
      content: {
        'application/json': {
          schema: z.object({
            contactId: z.string(),
            accountHolder: z.boolean(),
            accountStatus: z.enum(['active', 'deactivated']).nullable(),
          }),
        },
      },
    },
    404: errorResponse('No such contact.'),
  },
});

export function announcementRoutes(deps: SendDependencies) {
  return createRouter()
    .openapi(createAnnouncementRoute, async (c) => {
      const body = c.req.valid('json');
      const versions = campaignVersionsOf(draftContentOf(body));
      const content: CampaignContent = {
        name: `Announcement (${body.category}): ${versions.subject.slice(0, 150)}`,
        kind: 'announcement',
        audience: body.audience ?? { type: 'account-holders' },
        ...versions,
        tracking: false,
        advertisement: false,
        category: body.category,
        policyEffectiveDate: body.policyEffectiveDate ?? null,
        policyVersion: body.policyVersion ?? null,
        promotionalOverride: body.promotionalOverride ?? null,
        requestedByKeyId: c.get('principal')?.keyId ?? null,
      };
      preflightCampaign(content, deps);
      const now = new Date();
      const created = await createCampaign(deps.access, content, { now });
      const campaign = await startCampaign(deps.access, created.campaignId, now);
      return c.json(await campaignView(deps.access, campaign), 202);
    })
    .openapi(setAccountRoute, async (c) => {
      const { contactId } = c.req.valid('param');
      const body = c.req.valid('json');
      const contact = await setAccount(
        deps.access,
        contactId,
        {
          accountHolder: body.accountHolder,
          accountStatus: body.accountHolder ? (body.accountStatus ?? 'active') : null,
        },
        { apiKeyId: c.get('principal')?.keyId },
      );
      if (contact === undefined) throw new NotFoundError('The contact');
      return c.json(
        { contactId, accountHolder: contact.accountHolder, accountStatus: contact.accountStatus },
        200,
      );
    });
}
