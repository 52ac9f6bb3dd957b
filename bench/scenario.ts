import type { BenchStack } from './local-stack';
import type { ScenarioResult } from './report';

/**
 * A benchmark scenario: measures against the run's local stack (making its own runtimes and tables) and
 * returns rows for the summary table plus its notes. Add one to `scenarios` in bench/run.ts.
 */
export interface Scenario {
  name: string;
  run(stack: BenchStack, log: (line: string) => void): Promise<Omit<ScenarioResult, 'durationMs'>>;
}
