import type { TestProject } from 'vitest/node';
import { launchChromiumServer } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's one Chromium process takes connections (Playwright's protocol). */
    browserEndpoint: string;
  }
}

/**
 * One Chromium process for all the browser test files of a run, started only when the run includes one
 * (a project's global setup runs only when that project has files queued): each file connects to it and
 * works in its own contexts and pages, instead of starting a browser of its own.
 */
export default async function setup(project: TestProject) {
  const server = await launchChromiumServer();
  project.provide('browserEndpoint', server.wsEndpoint());
  return () => server.close();
}
