import { type SeedOptions, seedConfirmedSubscribers } from '../../functions/local/seed-subscribers';
import type { Runtime } from '../../shared/runtime';

/** Confirmed subscribers written straight into the table (see functions/local/seed-subscribers.ts). */
export function givenConfirmedSubscribers(
  runtime: Runtime,
  listId: string,
  count: number,
  options: SeedOptions = {},
) {
  return seedConfirmedSubscribers(runtime, listId, count, options);
}
