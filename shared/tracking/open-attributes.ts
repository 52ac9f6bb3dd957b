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
