import { readMailFromNowOn } from './sent-mail';
import { useNewDatabaseForThisFile } from './test-runtime';

// Runs before each test file, in its worker: mail polls read only what this file sent (sent-mail.ts),
// also when modules are shared between files (vitest's `isolate: false`).
readMailFromNowOn();
// Each file its own DynamoDB Local database (test-runtime.ts says why).
useNewDatabaseForThisFile();
