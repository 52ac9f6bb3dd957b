import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Runtime } from '../shared/runtime';
import { createTokenSigner } from '../shared/tokens';

/**
 * The first invocation of each function in the cold-start benchmark: the event AWS would send (a function
 * URL request in payload format 2.0, an EventBridge SES event, an SES receipt event, the scheduled sweep),
 * and how to tell that the invocation really did its work. Each makes the DynamoDB requests its kind of
 * request makes, as the bare bundle's one `GetItem` does.
 */

const ROOT = resolve(import.meta.dirname, '..');
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

export interface FirstInvocation {
  /** What the invocation is, for the report. */
  description: string;
  event: unknown;
  /** The handler's answer is what a successful invocation answers. */
  expected: (answer: unknown) => boolean;
}

/** A function URL request (payload format 2.0), as Lambda hands it to `hono/aws-lambda`. */
function functionUrlRequest(path: string, query: Record<string, string>, headers: Record<string, string>) {
  const rawQueryString = new URLSearchParams(query).toString();
  const domainName = 'bench.lambda-url.us-east-1.on.aws';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { host: domainName, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7', ...headers },
    ...(rawQueryString === '' ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'bench',
      domainName,
      domainPrefix: 'bench',
      http: {
        method: 'GET',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: headers['user-agent'] ?? 'bench',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

const statusOf = (answer: unknown) => (answer as { statusCode?: number } | undefined)?.statusCode;

function fixture(path: string, replace: Record<string, string> = {}): unknown {
  let text = readFileSync(resolve(ROOT, 'test/fixtures', path), 'utf8');
  for (const [from, to] of Object.entries(replace)) text = text.replaceAll(from, to);
  return JSON.parse(text);
}

/**
 * The first invocation of each bundle, signed with the keys of `runtime` (the children's configuration).
 * `adminKey` is an API key stored in the table, as a deployment's operators use: the development key
 * (`ADMIN_API_KEY`) is checked without reading the table, which no deployed admin request is.
 */
export function firstInvocations(runtime: Runtime, adminKey: string): Record<string, FirstInvocation> {
  const tokens = createTokenSigner(runtime.config.signingKeys);
  const pixelToken = tokens.sign('trackOpen', { contactId: 'c-bench-cold', messageId: 'm-bench-cold' });
  return {
    'bare Hono + SDK': {
      description: 'a GET answered after one `GetItem`',
      event: functionUrlRequest('/', {}, {}),
      expected: (answer) => statusOf(answer) === 200,
    },
    'public-api': {
      description: 'an open-pixel GET with a valid token (of a message that does not exist)',
      event: functionUrlRequest('/v1/pixel', { token: pixelToken }, { 'user-agent': CHROME }),
      expected: (answer) => statusOf(answer) === 200,
    },
    'admin-api': {
      description: '`GET /admin/v1/lists` with an API key stored in the table (scope `contacts:read`)',
      event: functionUrlRequest('/admin/v1/lists', {}, { authorization: `Bearer ${adminKey}` }),
      expected: (answer) => statusOf(answer) === 200,
    },
    'campaign-worker': {
      description: 'the scheduled sweep (the rule every minute): nothing due',
      event: {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: ['arn:aws:events:us-east-1:123456789012:rule/bench-sweep'],
        detail: {},
      },
      expected: (answer) => typeof (answer as { woken?: unknown })?.woken === 'number',
    },
    'ses-events': {
      description:
        'an SES delivery event (test/fixtures/ses-events/delivery.json) of a message we did not send',
      event: fixture('ses-events/delivery.json'),
      expected: (answer) => typeof (answer as { kind?: unknown })?.kind === 'string',
    },
    'inbound-mail': {
      description:
        'a reply "unsubscribe" (test/fixtures/ses-receipt/reply-unsubscribe.json) from an unknown sender',
      event: fixture('ses-receipt/reply-unsubscribe.json', { '{{sender}}': 'cold-start-bench' }),
      expected: (answer) => (answer as { disposition?: unknown })?.disposition === 'CONTINUE',
    },
  };
}

/** The Lambda context the handlers read (the campaign worker asks how long it may run). */
export const lambdaContextSource =
  "{ awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60000, callbackWaitsForEmptyEventLoop: false }";
