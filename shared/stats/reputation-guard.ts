import type { CampaignCounts } from './campaign-counters';

/**
 * Mailbox providers judge a sender by bounces and complaints (SES reviews accounts above 5% bounces or
 * 0.1% complaints; Gmail wants spam reports under 0.3%). A campaign that crosses either line after a
 * minimum sample pauses itself, before it damages the sending reputation of everything else.
 */

export interface ReputationThresholds {
  bounceRate: number;
  complaintRate: number;
  /** Rates over fewer sends say little: a single bounce in the first 20 messages is 5%. */
  minimumSent: number;
}

export const reputationThresholds: ReputationThresholds = {
  bounceRate: 0.05,
  complaintRate: 0.001,
  minimumSent: 200,
};

const percent = (rate: number, digits: number) => `${(rate * 100).toFixed(digits)}%`;

export interface ReputationVerdict {
  pause: boolean;
  reason: string | null;
  bounceRate: number;
  complaintRate: number;
}

export function reputationVerdict(
  counts: CampaignCounts,
  thresholds = reputationThresholds,
): ReputationVerdict {
  const sent = counts.sent;
  // Like SES's own reputation metric, only hard bounces count: greylisting and full mailboxes are no sign
  // of a bad list.
  const bounceRate = sent === 0 ? 0 : counts.bouncedHard / sent;
  const complaintRate = sent === 0 ? 0 : counts.complained / sent;
  const base = { bounceRate, complaintRate };
  if (sent < thresholds.minimumSent) return { pause: false, reason: null, ...base };
  if (bounceRate > thresholds.bounceRate) {
    return {
      pause: true,
      reason: `bounce rate ${percent(bounceRate, 2)} is above ${percent(thresholds.bounceRate, 0)}`,
      ...base,
    };
  }
  if (complaintRate > thresholds.complaintRate) {
    return {
      pause: true,
      reason: `complaint rate ${(complaintRate * 100).toFixed(3)}% is above 0.1%`,
      ...base,
    };
  }
  return { pause: false, reason: null, ...base };
}
