import { readMailFromNowOn } from './sent-mail';

// Runs before each test file, in its worker: mail polls read only what this file sent (sent-mail.ts),
// also when modules are shared between files (vitest's `isolate: false`).
readMailFromNowOn();
