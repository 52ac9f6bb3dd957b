import { createAwsClients } from '../../shared/aws-clients';
import type { Runtime } from '../../shared/runtime';

/**
 * The same runtime (table, configuration) through SDK clients of its own: a test can make only these
 * lose their answers (lost-answers.ts) or count only their requests, while its own reads stay untouched.
 */
export const withOwnClients = (runtime: Runtime): Runtime => ({
  ...runtime,
  clients: createAwsClients(runtime.config),
});
