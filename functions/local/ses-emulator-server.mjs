// The SES emulator (aws-ses-v2-local) as its CLI starts it, but with the server's keep-alive timeout off:
// idle connections stay open until the client closes them. With Node's default 5 s, the emulator closed
// an idle socket just as the SDK reused it, and the send was reset (ECONNRESET); a sending client never
// retries (maxAttempts 1: SendEmail has no idempotency key), so the message became `uncertain` and the
// request answered 503: a flaky test, not a behaviour of SES.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { default: startEmulator } = require('aws-ses-v2-local');

const [port, host] = process.argv.slice(2);
const server = await startEmulator({ port: Number(port), host });
server.keepAliveTimeout = 0;
