import { readCampaignTotals } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import type { Campaign } from './campaigns';

export interface CampaignProgress {
  /** Recipients planned so far (final once planning is done). */
  total: number;
  planningDone: boolean;
  sent: number;
  skipped: Record<string, number>;
  skippedTotal: number;
  failed: number;
  /** Crashed between SES and our record; never retried (docs/campaigns.md). */
  uncertain: number;
  remaining: number;
  /** Messages per second since the campaign started. */
  rate: number;
}

export async function campaignProgress(
  access: TableAccess,
  campaign: Campaign,
  now: Date,
): Promise<CampaignProgress> {
  const { counts, skipped } = await readCampaignTotals(access, campaign.campaignId);
  const skippedTotal = Object.values(skipped).reduce((sum, count) => sum + count, 0);
  const settled = counts.sent + skippedTotal + counts.failed + counts.uncertain;
  const finishedAt = campaign.completedAt ?? campaign.cancelledAt ?? campaign.pausedAt;
  const seconds =
    campaign.startedAt === null
      ? 0
      : ((finishedAt === null ? now.getTime() : Date.parse(finishedAt)) - Date.parse(campaign.startedAt)) /
        1000;
  return {
    total: campaign.planned,
    planningDone:
      campaign.status === 'completed' || (campaign.startedAt !== null && campaign.outstanding === 0),
    sent: counts.sent,
    skipped,
    skippedTotal,
    failed: counts.failed,
    uncertain: counts.uncertain,
    remaining: campaign.status === 'cancelled' ? 0 : Math.max(0, campaign.planned - settled),
    rate: seconds > 0 ? Math.round((counts.sent / seconds) * 100) / 100 : 0,
  };
}
