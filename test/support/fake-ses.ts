import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for SES's HTTP endpoint that misbehaves on purpose: each SendEmail call gets what `answer`
 * says for its attempt number (1, 2, …): a status and JSON body, or `'hang'` (the request is read, and
 * never answered). Tests point `SES_ENDPOINT` at it and count the attempts that reached it.
 */
export type FakeSesAnswer = 'hang' | { status: number; body: unknown; errorType?: string };

export interface FakeSes {
  url: string;
  /** SendEmail requests received so far. */
  sendAttempts(): number;
  close(): Promise<void>;
}

const SEND_EMAIL = '/v2/email/outbound-emails';

export const sesAccepts = (attempt: number): FakeSesAnswer => ({
  status: 200,
  body: { MessageId: `fake-${attempt}` },
});

export async function startFakeSes(answer: (attempt: number) => FakeSesAnswer): Promise<FakeSes> {
  let attempts = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      if (request.url !== SEND_EMAIL) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const reply = answer(++attempts);
      if (reply === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(reply.status, {
        'content-type': 'application/json',
        ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}),
      });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sendAttempts: () => attempts,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
