/**
 * The campaign worker's two daily jobs, as the events their rules send (infra/campaign-worker-triggers.ts),
 * and how the worker recognizes them. Kept apart from the jobs themselves so the worker's entry can tell
 * an event's kind before it loads the code that handles it.
 */

/** The daily watch on rights-request deadlines (shared/rights/rights-request-deadlines.ts). */
export const RIGHTS_DEADLINES_JOB = { job: 'rights-request-deadlines' } as const;

/** The daily erasure of inactive contacts (shared/retention/inactive-contacts.ts). */
export const INACTIVE_CONTACTS_JOB = { job: 'inactive-contacts' } as const;

const isJob = (event: unknown, job: string) =>
  typeof event === 'object' && event !== null && (event as Record<string, unknown>).job === job;

export function isRightsDeadlinesJob(event: unknown): event is typeof RIGHTS_DEADLINES_JOB {
  return isJob(event, RIGHTS_DEADLINES_JOB.job);
}

export function isInactiveContactsJob(event: unknown): event is typeof INACTIVE_CONTACTS_JOB {
  return isJob(event, INACTIVE_CONTACTS_JOB.job);
}
