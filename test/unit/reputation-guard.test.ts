import { describe, expect, it } from 'vitest';
import { type CampaignCounts, campaignCounters } from '../../shared/stats/campaign-counters';
import { reputationVerdict } from '../../shared/stats/reputation-guard';

const counts = (values: Partial<CampaignCounts>): CampaignCounts => ({
  ...(Object.fromEntries(campaignCounters.map((name) => [name, 0])) as CampaignCounts),
  ...values,
});

describe('the reputation guard', () => {
  it('waits for a minimum sample before judging', () => {
    expect(reputationVerdict(counts({ sent: 20, bouncedHard: 5 })).pause).toBe(false);
  });

  it('pauses above 5% hard bounces; soft bounces (greylisting, full mailboxes) do not count', () => {
    expect(reputationVerdict(counts({ sent: 1000, bouncedHard: 50, bouncedSoft: 400 })).pause).toBe(false);
    const verdict = reputationVerdict(counts({ sent: 1000, bouncedHard: 51 }));
    expect(verdict).toMatchObject({ pause: true, reason: 'bounce rate 5.10% is above 5%' });
  });

  it('pauses above 0.1% complaints', () => {
    expect(reputationVerdict(counts({ sent: 1000, complained: 1 })).pause).toBe(false);
    expect(reputationVerdict(counts({ sent: 1000, complained: 2 }))).toMatchObject({
      pause: true,
      reason: 'complaint rate 0.200% is above 0.1%',
    });
  });
});
