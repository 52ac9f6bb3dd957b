import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BulkEmailEntryResult,
  SESv2Client,
  SendBulkEmailCommandInput,
  SendBulkEmailCommandOutput,
} from '@aws-sdk/client-sesv2';

/**
 * A stand-in for SES's HTTP endpoint that misbehaves on purpose: each SendEmail (or SendBulkEmail) call gets what `answer`
 * says for its attempt number (1, 2, …): a status and JSON body, or `'hang'` (the request is read, and
 * never answered). Tests point `SES_ENDPOINT` at it and count the attempts that reached it.
 */
export type FakeSesAnswer = 'hang' | { status: number; body: unknown; errorType?: string };

export interface FakeSes {
  url: string;
  /** SendEmail and SendBulkEmail requests received so far. */
  sendAttempts(): number;
  close(): Promise<void>;
}

const SEND_EMAIL = '/v2/email/outbound-emails';
const SEND_BULK_EMAIL = '/v2/email/outbound-bulk-emails';

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
      if (request.url !== SEND_EMAIL && request.url !== SEND_BULK_EMAIL) {
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

/**
 * Makes SendBulkEmail answer `status` for the entries `answer` picks (by their address, the entry's place
 * in the call and the running count of entries), as SES does per entry: the picked entries are taken out
 * of the request before it reaches the emulator (SES sent nothing for them) and their results put back in
 * place, with `error` as SES's reason. The emulator only ever answers SUCCESS or FAILED, hence this.
 */
/** Calls `seen` with the input of every SendBulkEmail the client sends, before it is sent. */
export function watchBulkSends(ses: SESv2Client, seen: (input: SendBulkEmailCommandInput) => void): void {
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendBulkEmailCommand') seen(args.input as SendBulkEmailCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'watchBulkSends' },
  );
}

export function injectBulkEntryResults(
  ses: SESv2Client,
  answer: (to: string, seen: number) => { status: string; error?: string } | undefined,
): { injected(): number } {
  let seen = 0;
  let injected = 0;
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendBulkEmailCommand') return next(args);
      const input = args.input as SendBulkEmailCommandInput;
      const entries = input.BulkEmailEntries ?? [];
      const picked = entries.map((entry) => answer(entry.Destination?.ToAddresses?.[0] ?? '', ++seen));
      const passed = entries.filter((_, index) => picked[index] === undefined);
      injected += entries.length - passed.length;
      const results: BulkEmailEntryResult[] = [];
      if (passed.length > 0) {
        const output = await next({ ...args, input: { ...input, BulkEmailEntries: passed } });
        results.push(...((output.output as SendBulkEmailCommandOutput).BulkEmailEntryResults ?? []));
      }
      const merged = picked.map((result) =>
        result === undefined ? results.shift() : { Status: result.status, Error: result.error },
      );
      return {
        output: { $metadata: {}, BulkEmailEntryResults: merged } as SendBulkEmailCommandOutput,
        response: undefined,
      } as never;
    },
    { step: 'initialize', name: 'injectBulkEntryResults' },
  );
  return { injected: () => injected };
}
