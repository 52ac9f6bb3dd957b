import type { TestProject } from 'vitest/node';
import {
  assertJavaAvailable,
  findFreePort,
  type LocalService,
  startDynamoDbLocal,
  startSesEmulator,
} from '../../functions/local/local-stack';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    sesEndpoint: string;
  }
}

/** Starts DynamoDB Local (in memory) and the SES emulator on free ports for the whole test run. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  assertJavaAvailable();
  const services: LocalService[] = [];
  try {
    const [dynamoDb, ses] = await Promise.all([
      findFreePort().then((port) => startDynamoDbLocal({ port })),
      findFreePort().then((port) => startSesEmulator({ port })),
    ]);
    services.push(dynamoDb, ses);
    project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
    project.provide('sesEndpoint', ses.endpoint);
  } catch (error) {
    await Promise.all(services.map((service) => service.stop()));
    throw error;
  }
  return async () => {
    await Promise.all(services.map((service) => service.stop()));
  };
}
