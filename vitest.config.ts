import { defineConfig } from 'vitest/config';

/** What both projects share. */
const common = {
  // Patience, not a speed target (those live in the benchmarks): CI runs on a slow, starved two-core
  // machine, where the longest tests here (campaigns, fuzzing through the stream, 15-30 s on this one)
  // take several times longer. A test that hangs still fails, later.
  testTimeout: 120_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  // Files share their worker's loaded modules instead of loading the SDK, Hono and our code again for
  // each of ~110 files (a third of the suite's CPU time). They share no state through them: each file
  // makes its own table, runtime and addresses, and per-file-setup.ts resets what is per file.
  isolate: false,
  setupFiles: ['test/support/per-file-setup.ts'],
  // npm scripts run on the pinned Node 22 (the `node` devDependency); a direct `npx vitest` on an older
  // system Node would trip the SDK's notice, which would only add noise.
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

export default defineConfig({
  test: {
    // One DynamoDB Local and one SES emulator for the whole run; each test file makes its own table.
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      {
        test: {
          ...common,
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**'],
        },
      },
      {
        // The pages in a real browser: one Chromium process for the run, started only when a file here runs.
        test: {
          ...common,
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/support/browser-global-setup.ts'],
        },
      },
    ],
  },
});
