/**
 * List prices, on-demand, us-east-1 (check them before relying on them: they change), one table for the
 * bench's cost figures and the scale model. DynamoDB's on-demand throughput has cost $0.625 per million
 * write request units and $0.125 per million read request units since its price cut of November 2024.
 */
export const PRICES = {
  writeRequestUnitPerMillion: 0.625,
  readRequestUnitPerMillion: 0.125,
  sesPerThousandEmails: 0.1,
  /** Lambda on ARM: per GB-second and per million requests. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
} as const;
