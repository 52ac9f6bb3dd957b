import { createList } from '../shared/lists/lists';
import type { Runtime } from '../shared/runtime';
import type { TableAccess } from '../shared/table-access';

/**
 * Benchmark data: a list, and its confirmed subscribers written straight into the table
 * (functions/local/seed-subscribers.ts). The signup flows are measured elsewhere; here they would only
 * make seeding slow.
 */

export { type Subscriber, seedConfirmedSubscribers } from '../functions/local/seed-subscribers';

export const accessOf = (runtime: Runtime): TableAccess => ({
  documents: runtime.clients.documents,
  tableName: runtime.config.tableName,
});

export async function givenBenchList(runtime: Runtime, listId: string) {
  return createList(accessOf(runtime), {
    listId,
    texts: { en: { name: `The ${listId} newsletter`, description: 'News' } },
    doubleOptIn: true,
    welcomeEmail: { enabled: false, content: {} },
    minimumAge: null,
    trackingMode: 'per-person',
  });
}
