import { dueCampaignWork } from '../due-work';
import { AppError } from '../errors';
import { queryAllItems } from '../table-access';
import { startCampaign } from './campaign-lifecycle';
import { type CampaignWorkerDependencies, SAFETY_MARGIN_MS } from './task-run';
import { armTask } from './tasks';

/**
 * Re-arms unfinished work that is due (expired leases, deferred retries, pending tasks nobody took) and
 * starts scheduled campaigns whose time has come. Runs every minute on AWS; in-process locally. `cutoff`
 * lets a restarted local worker take back everything at once.
 */
export async function sweep(
  deps: Pick<CampaignWorkerDependencies, 'access' | 'logger' | 'now'> &
    Partial<Pick<CampaignWorkerDependencies, 'remainingMs'>>,
  cutoff?: string,
): Promise<number> {
  const now = deps.now?.() ?? new Date();
  let woken = 0;
  const due = queryAllItems(deps.access, dueCampaignWork(cutoff ?? now.toISOString()));
  for await (const item of due) {
    // What is left waits for the next sweep a minute later.
    if (deps.remainingMs !== undefined && deps.remainingMs() < SAFETY_MARGIN_MS) return woken;
    const campaignId = String(item.campaignId);
    if (item.entity === 'campaign') {
      // A campaign started or cancelled by hand meanwhile answers 409/404: nothing to do.
      await startCampaign(deps.access, campaignId, now).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
      });
      woken++;
    } else if (item.entity === 'campaignTask') {
      if (
        await armTask(deps.access, campaignId, String(item.taskId), now, {
          expectedWake: String(item.gsi2sk),
        })
      ) {
        woken++;
      }
    }
  }
  if (woken > 0) deps.logger.info('campaign work re-armed', { woken });
  return woken;
}
