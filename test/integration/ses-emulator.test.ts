import { Agent, request } from 'node:http';
import { describe, expect, inject, it } from 'vitest';

/**
 * The SES emulator the suite and `npm start` run (functions/local/ses-emulator-server.mjs) keeps idle
 * connections open: with a server-side keep-alive timeout, it could close a socket just as the SDK reused
 * it, and a send, which is never retried, failed with ECONNRESET and was recorded `uncertain`.
 */
describe('the local SES emulator', () => {
  it('sets no keep-alive timeout on its connections', async () => {
    // A keep-alive client, as the SDK's.
    const agent = new Agent({ keepAlive: true });
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const call = request(`${inject('sesEndpoint')}/health-check`, { agent }, (response) => {
        response.resume();
        resolve(response.headers);
      });
      call.on('error', reject);
      call.end();
    });
    agent.destroy();
    expect(headers.connection).toBe('keep-alive');
    expect(headers['keep-alive']).toBeUndefined();
  });
});
