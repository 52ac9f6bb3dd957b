import { type AwsClients, createAwsClients } from './aws-clients';
import { type Config, loadConfig } from './config';
import { createLogger, type Logger } from './log';

/**
 * What every function needs, built once per process (Lambda cold start, `npm start`, a test): validated
 * configuration, SDK clients and a logger. A bad configuration throws here, before any request is served.
 */
export interface Runtime {
  config: Config;
  clients: AwsClients;
  logger: Logger;
}

export function createRuntime(env: Record<string, string | undefined>, service: string): Runtime {
  const config = loadConfig(env);
  return {
    config,
    clients: createAwsClients(config),
    logger: createLogger({ level: config.logLevel, service }),
  };
}
