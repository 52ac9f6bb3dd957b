import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import { receiptsFor, verifyConsentReceipt } from '../../shared/receipts/receipts';
import type { Runtime } from '../../shared/runtime';
import { keyringOf } from '../../shared/signing-keyring';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { mailArriving } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Consent receipts (docs/consent.md, "Consent receipts"): what the person downloads from the confirmed
 * page, checked as a stranger would, with jose's own verifier against our published JWKS; any altered
 * byte fails; the export holds them; `verifyConsentReceipt` tells a receipt whose event the ledger no
 * longer holds as it says.
 */

interface Issued {
  eventId: string;
  kind: string;
  receipt: string;
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const bytesOf = (segment: string) => Buffer.from(segment, 'base64url');

describe('consent receipts', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  let email: string;
  let receipts: Issued[];
  let jwks: JSONWebKeySet;

  const app = () => publicAppFor(runtime);
  const verifyWithJwks = (receipt: string) => compactVerify(receipt, createLocalJWKSet(jwks));
  const check = async (receipt: string) =>
    (await (
      await app().request('/v1/consent-receipts/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ receipt }),
      })
    ).json()) as { signature: string; ledger: string };

  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    email = `receipt-${randomUUID()}@example.org`;
    await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const [mail] = await mailArriving(email);
    const token = /confirm\?token=([\w.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
    const confirmed = await app().request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    // The confirmed page links to the person's receipts.
    const link = /href="consent-receipts\?token=([\w.-]+)"/.exec(await confirmed.text())?.[1];
    expect(link).toBeDefined();
    const download = await app().request(`/v1/consent-receipts?token=${link}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('attachment');
    const body = (await download.json()) as { keys: string; receipts: Issued[] };
    expect(body.keys).toBe('http://localhost:3000/.well-known/jwks.json');
    receipts = body.receipts;
    jwks = (await (await app().request('/.well-known/jwks.json')).json()) as JSONWebKeySet;
  });
  afterAll(() => streamReader.stop());

  it('gives one receipt per consent change, which verifies against the published JWKS with jose and states the event as the ledger holds it', async () => {
    const ledger = (await recordsOf(runtime, email))?.events ?? [];
    expect(receipts.map(({ kind }) => kind)).toEqual(['opt-in-requested', 'confirmed']);
    expect(receipts.map(({ eventId }) => eventId)).toEqual(ledger.map(({ eventId }) => eventId));
    const confirmed = ledger[1];
    const { payload, protectedHeader } = await verifyWithJwks(receipts[1]?.receipt ?? '');
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: 'dev-receipts1' });
    const text = new TextDecoder().decode(payload);
    expect(text).not.toContain(email);
    const document = JSON.parse(text);
    expect(document).toMatchObject({
      '@type': 'dpv:ConsentReceipt',
      'dct:conformsTo': 'https://w3id.org/dpv/schema/dpv-27560#receipt-eu-gdpr',
      'dct:publisher': 'Example Co Ltd',
      'dpv:hasRecordOfActivity': {
        'dct:identifier': confirmed?.eventId,
        'dct:date': confirmed?.occurredAt,
        'dpv:hasDataSubject': { '@id': `urn:consent-mail:contact:${confirmed?.contactId}` },
        'dpv:hasDataController': { 'schema:name': 'Example Co Ltd' },
        'dpv:hasLegalBasis': 'eu-gdpr:A6-1-a',
        'dpv:hasProcess': {
          'dpv:hasPurpose': { 'dct:identifier': 'weekly-news', 'schema:name': 'The weekly-news newsletter' },
        },
        'dpv:hasNotice': {
          'dct:hasVersion': 1,
          'dct:language': 'en',
          'cm:sha256': confirmed?.evidence.consentText?.sha256,
          'rdf:value': 'Yes, send me weekly-news. I can unsubscribe at any time.',
          'cm:evidenceKind': 'client-declared',
        },
        'dpv:hasConsentStatus': 'dpv:ConsentGiven',
        'cm:evidence': { 'cm:method': 'confirm-link' },
        'dpv:hasRight': expect.arrayContaining(['eu-gdpr:A7-3', 'eu-gdpr:A17']),
      },
    });
    expect(await check(receipts[1]?.receipt ?? '')).toMatchObject({
      signature: 'valid',
      ledger: 'holds-event',
    });
  });

  it('fails verification after any byte of the receipt, its header or its signature changes', async () => {
    const [header = '', payload = '', signature = ''] = (receipts[1]?.receipt ?? '').split('.');
    const altered = (segment: Buffer, index: number) => {
      const copy = Buffer.from(segment);
      copy[index] = (copy[index] ?? 0) ^ 0x01;
      return base64url(copy);
    };
    const payloadBytes = bytesOf(payload);
    for (let index = 0; index < payloadBytes.length; index++) {
      await expect(
        verifyWithJwks(`${header}.${altered(payloadBytes, index)}.${signature}`),
      ).rejects.toThrow();
    }
    const signatureBytes = bytesOf(signature);
    for (let index = 0; index < signatureBytes.length; index++) {
      await expect(
        verifyWithJwks(`${header}.${payload}.${altered(signatureBytes, index)}`),
      ).rejects.toThrow();
    }
    const headerBytes = bytesOf(header);
    for (let index = 0; index < headerBytes.length; index++) {
      await expect(
        verifyWithJwks(`${altered(headerBytes, index)}.${payload}.${signature}`),
      ).rejects.toThrow();
    }
    expect(await check(`${header}.${altered(payloadBytes, 40)}.${signature}`)).toEqual({
      signature: 'invalid',
      ledger: 'not-checked',
    });
    expect(await check('not a receipt')).toEqual({ signature: 'malformed', ledger: 'not-checked' });
  });

  it('says when the ledger no longer holds the event as the receipt states it, or at all', async () => {
    const records = await recordsOf(runtime, email);
    const [requested, confirmed] = records?.events ?? [];
    const keyOfEvent = (event: typeof confirmed) =>
      primaryKeyOf('consentEvent', {
        contactId: event?.contactId ?? '',
        occurredAt: event?.occurredAt ?? '',
        eventId: event?.eventId ?? '',
      });
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: keyOfEvent(confirmed),
        UpdateExpression: 'SET #evidence.#consentText.#version = :other',
        ExpressionAttributeNames: {
          '#evidence': 'evidence',
          '#consentText': 'consentText',
          '#version': 'version',
        },
        ExpressionAttributeValues: { ':other': 7 },
      }),
    );
    expect(await check(receipts[1]?.receipt ?? '')).toMatchObject({
      signature: 'valid',
      ledger: 'event-differs',
    });
    await runtime.clients.documents.send(
      new DeleteCommand({ TableName: runtime.config.tableName, Key: keyOfEvent(requested) }),
    );
    expect(await check(receipts[0]?.receipt ?? '')).toMatchObject({
      signature: 'valid',
      ledger: 'event-missing',
    });
  });

  it('puts a receipt for every consent change in the export, each verifiable against the JWKS', async () => {
    const contactId = (await recordsOf(runtime, email))?.contact.contactId;
    const response = await adminRequest(runtime, `/admin/v1/contacts/${contactId}/export`);
    expect(response.status).toBe(200);
    const exported = (await response.json()) as { consentReceipts: Issued[]; consentLedger: unknown[] };
    expect(exported.consentReceipts.map(({ kind }) => kind)).toEqual(
      // The opt-in request's event was deleted above; the confirmation stays.
      ['confirmed'],
    );
    for (const { receipt } of exported.consentReceipts) await verifyWithJwks(receipt);
  });

  it('keeps verifying receipts signed with a retired key, whose public half stays published', async () => {
    const material = (id: string) => [id, randomBytes(32).toString('base64')] as [string, string];
    const [old, next] = [material('r1'), material('r2')];
    const before = keyringOf('r1', [old]);
    const after = keyringOf('r2', [old, next]);
    const ledger = (await recordsOf(runtime, email))?.events ?? [];
    const [issued] = await receiptsFor(
      { access: accessOf(runtime), keyring: before, sender: runtime.config.sender },
      ledger,
    );
    const verification = await verifyConsentReceipt(
      { access: accessOf(runtime), keyring: after, sender: runtime.config.sender },
      issued?.receipt ?? '',
    );
    expect(verification).toMatchObject({ signature: 'valid', keyId: 'r1' });
    const forgotten = await verifyConsentReceipt(
      { access: accessOf(runtime), keyring: keyringOf('r2', [next]), sender: runtime.config.sender },
      issued?.receipt ?? '',
    );
    expect(forgotten.signature).toBe('unknown-key');
  });

  it('refuses a receipts link that is not genuine with a page, and publishes the JWKS to anyone', async () => {
    const forged = await app().request('/v1/consent-receipts?token=k1.e30.bad', {
      headers: { accept: 'text/html' },
    });
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toMatch(/^text\/html/);
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: 'dev-receipts1', alg: 'EdDSA' }),
    ]);
  });
});
