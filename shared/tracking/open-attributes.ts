/**
 * The open attributes of a message item (docs/data-model.md, `message`), set by the pixel's one write
 * (record-open.ts). In a module of their own so that reading a message does not load the classifier.
 */
export const openAttributes = [
  'openCount',
  'humanOpenCount',
  'machineOpenCount',
  'firstOpenedAt',
  'lastOpenedAt',
  'firstHumanOpenedAt',
  'lastOpenKind',
  'lastOpenRuleId',
  'lastOpenUserAgentFamily',
  'lastOpenNetwork',
  // Aggregate mode's opens waiting for the stream (aggregate-opens.ts): gone with the rest on erasure.
  'pendingOpens',
] as const;

/**
 * The rule id of an open no machine rule matched (open-classification.ts): a human open. The message item
 * does not store it (a human last open has no `lastOpenRuleId`, nor an unknown network a
 * `lastOpenNetwork`), so a tracked message stays under 1 KB; the export shows both (`withOpenDefaults`).
 */
export const HUMAN_RULE_ID = 'no-machine-rule-matched';

/** A message item's open attributes as recorded, with what the item leaves out put back. */
export function withOpenDefaults(item: Record<string, unknown>): Record<string, unknown> {
  if (item.openCount === undefined) return item;
  return {
    ...item,
    ...(item.lastOpenKind === 'human' && item.lastOpenRuleId === undefined
      ? { lastOpenRuleId: HUMAN_RULE_ID }
      : {}),
    ...(item.lastOpenNetwork === undefined ? { lastOpenNetwork: null } : {}),
  };
}
