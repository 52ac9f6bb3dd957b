import { InvalidLinkError } from '../../../shared/errors';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { emailedLinkFields, htmlResponse, humanFacingPage } from '../../../shared/http/human-facing';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import {
  publishedReceiptKeys,
  type ReceiptDependencies,
  receiptsOfContact,
  verifyConsentReceipt,
} from '../../../shared/receipts/receipts';
import type { TokenSigner } from '../../../shared/tokens';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * Consent receipts (docs/consent.md, "Consent receipts"): the public keys that verify them, the person's
 * own receipts behind the link on the confirmed and preference pages, and a check anyone can run on a
 * receipt: is the signature ours, and does the ledger still hold the event it copies?
 */

export const RECEIPTS_FORMAT = 'consent-mail.consent-receipts.v1';

const JwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string(),
        kid: z.string(),
        alg: z.literal('EdDSA'),
        use: z.literal('sig'),
      }),
    ),
  })
  .openapi('ReceiptKeys');

const IssuedReceiptSchema = z.object({
  eventId: z.string(),
  kind: z.string(),
  listId: z.string().nullable(),
  occurredAt: z.string(),
  receipt: z.string().openapi({ description: 'Compact JWS (EdDSA) over the JSON-LD receipt.' }),
});

const jwksRoute = defineRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getReceiptKeys',
  tags: ['Consent receipts'],
  summary: 'The public keys (JWK Set) that verify consent receipts; retired keys stay listed',
  responses: {
    200: { description: 'The JWK Set.', content: { 'application/json': { schema: JwksSchema } } },
    503: errorResponse('Receipts are not configured on this deployment.'),
  },
});

const downloadRoute = defineRoute({
  method: 'get',
  path: '/v1/consent-receipts',
  operationId: 'downloadConsentReceipts',
  tags: ['Consent receipts'],
  summary: "The person's signed consent receipts, one per change of consent (a JSON file)",
  middleware: [humanFacingPage] as const,
  request: { query: emailedLinkFields('The signed token of the link on the confirmed or preference page.') },
  responses: {
    200: {
      description: 'The receipts, oldest first, and where their keys are published.',
      content: {
        'application/json': {
          schema: z
            .object({
              format: z.literal(RECEIPTS_FORMAT),
              keys: z.string(),
              receipts: z.array(IssuedReceiptSchema),
            })
            .openapi('ConsentReceipts'),
        },
      },
    },
    400: htmlResponse('The link is not valid.'),
  },
});

const verifyRoute = defineRoute({
  method: 'post',
  path: '/v1/consent-receipts/verify',
  operationId: 'verifyConsentReceipt',
  tags: ['Consent receipts'],
  summary: 'Check a consent receipt: is the signature ours, and does the ledger still hold its event?',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ receipt: z.string().min(1).max(65_536) }).openapi('ConsentReceiptCheck'),
        },
      },
    },
  },
  responses: {
    200: {
      description:
        '`signature`: `valid`, `invalid` (altered, or not signed by us), `unknown-key` or `malformed`. ' +
        '`ledger` (when the signature is valid): `holds-event`, `event-missing` (erased, or never there) ' +
        'or `event-differs` (the ledger says something else than the receipt).',
      content: {
        'application/json': {
          schema: z
            .object({
              signature: z.enum(['valid', 'invalid', 'unknown-key', 'malformed']),
              ledger: z.enum(['holds-event', 'event-missing', 'event-differs', 'not-checked']),
              keyId: z.string().optional(),
              receipt: z.unknown().optional(),
            })
            .openapi('ConsentReceiptVerification'),
        },
      },
    },
    400: errorResponse('The body is not `{ "receipt": "<JWS>" }`.'),
  },
});

export function consentReceiptRoutes(
  deps: { tokens: TokenSigner; baseUrl: string },
  receipts: ReceiptDependencies,
) {
  return createRouter()
    .openapi(jwksRoute, (c) => {
      // Cached briefly: a new key appears within minutes, before it signs anything (docs/deploy.md).
      c.header('Cache-Control', 'public, max-age=300');
      return c.json(publishedReceiptKeys(receipts), 200);
    })
    .openapi(downloadRoute, async (c) => {
      const verified = deps.tokens.verify('consentReceipts', c.req.valid('query').token);
      if (!verified.ok) throw new InvalidLinkError();
      const issued = await receiptsOfContact(receipts, verified.data.contactId);
      c.header('Cache-Control', 'no-store');
      c.header('X-Robots-Tag', 'noindex');
      c.header('Content-Disposition', 'attachment; filename="consent-receipts.json"');
      return c.json(
        { format: RECEIPTS_FORMAT, keys: `${deps.baseUrl}/.well-known/jwks.json`, receipts: issued },
        200,
      );
    })
    .openapi(verifyRoute, async (c) => {
      const result = await verifyConsentReceipt(receipts, c.req.valid('json').receipt);
      c.header('Cache-Control', 'no-store');
      return c.json(result, 200);
    });
}
