import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { trackingWording } from '../../shared/consent/tracking-wording';
import { consentTextHash, createConsentText } from '../../shared/lists/consent-texts';
import type { Runtime } from '../../shared/runtime';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { parseForm, submittedFields } from '../support/html-form';
import { mailArriving } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The hosted signup form and the operator's copy of it (docs/consent.md, "The hosted form"): what it
 * shows, and that a signup from it records exactly the wording it showed, signed, even after the wording
 * changed; an altered version refuses the signup and writes nothing.
 */

const uniqueAddress = () => `form-${randomUUID()}@example.org`;
const fromIp = { incoming: { socket: { remoteAddress: '198.51.100.21' } } };

describe('the hosted signup form', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;

  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'teen-club', minimumAge: 16, trackingMode: 'per-person' });
    await givenList(runtime, { listId: 'not-on-form' });
  });
  afterAll(() => streamReader.stop());

  const viewForm = (query: string, headers: Record<string, string> = {}) =>
    publicAppFor(runtime).request(`/v1/subscribe?${query}`, { headers });

  const post = async (action: string, body: URLSearchParams) => {
    // The hosted form's action is relative to its own URL, as the browser resolves it.
    const url = new URL(action, 'http://localhost:3000/v1/subscribe');
    const response = await publicAppFor(runtime).request(
      `${url.pathname}${url.search}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mozilla/5.0 (test)' },
        body: body.toString(),
      },
      fromIp,
    );
    await untilRequestsProcessed(runtime);
    return response;
  };

  it('shows each list with its name, description and current wording beside an unticked checkbox, the tracking and age questions where a list needs them, and a hidden honeypot', async () => {
    const response = await viewForm('lists=weekly-news,teen-club&locale=fr');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<html lang="fr">');
    const form = parseForm(html);
    const checkboxes = form.inputs.filter((input) => input.type === 'checkbox');
    expect(checkboxes.map(({ name, value }) => `${name}=${value}`)).toEqual([
      'lists=weekly-news',
      'lists=teen-club',
      'trackingConsent=on',
      'ageConfirmed=on',
    ]);
    expect(checkboxes.every((checkbox) => !checkbox.checked)).toBe(true);
    expect(form.labels.get('cm-list-weekly-news')).toBe(
      'La lettre weekly-news: Nouvelles Oui, envoyez-moi weekly-news. Je peux me désinscrire à tout moment.',
    );
    expect(form.labels.get('cm-ageConfirmed')).toBe('J’ai au moins 16 ans.');
    expect(form.labels.get('cm-trackingConsent')).toContain('Example Co Ltd');
    expect(form.inputs.find((input) => input.name === 'website')).toMatchObject({ type: 'text' });
    expect(html).toMatch(/<div hidden><label for="cm-website">/);
    expect(form.inputs.find((input) => input.name === 'formVersions')?.type).toBe('hidden');
  });

  it('answers a 400 page for an unknown list, in the language asked for', async () => {
    const response = await viewForm('lists=no-such-list&locale=fr');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<html lang="fr">');
  });

  it('records the version the form showed, and its hash, as form-shown, even after the wording changed; the confirmation keeps it', async () => {
    const form = parseForm(await (await viewForm('lists=weekly-news&locale=fr')).text());
    const shown = await createConsentText(accessOf(runtime), {
      listId: 'weekly-news',
      locale: 'fr',
      text: 'Oui, envoyez-moi weekly-news (version 2).',
    });
    expect(shown.version).toBe(2);

    const email = uniqueAddress();
    const body = submittedFields(form, { email }, [{ name: 'lists', value: 'weekly-news' }]);
    expect((await post(form.action, body)).status).toBe(200);

    const requested = (await recordsOf(runtime, email))?.events[0];
    expect(requested).toMatchObject({
      kind: 'opt-in-requested',
      evidence: {
        consentText: {
          version: 1,
          locale: 'fr',
          sha256: consentTextHash('Oui, envoyez-moi weekly-news. Je peux me désinscrire à tout moment.'),
        },
        evidenceKind: 'form-shown',
        source: 'http://localhost:3000/v1/subscribe?lists=weekly-news&locale=fr',
      },
    });

    const [mail] = await mailArriving(email);
    const token = /confirm\?token=([\w.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
    const confirmed = await publicAppFor(runtime).request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    const records = await recordsOf(runtime, email);
    expect(records?.events.at(-1)).toMatchObject({
      kind: 'confirmed',
      evidence: { consentText: { version: 1, locale: 'fr' }, evidenceKind: 'form-shown' },
    });
    expect(records?.subscriptions.get('weekly-news')?.consentText).toMatchObject({ version: 1 });
  });

  it('records the open-tracking wording the form showed (version, language, hash) with the tracking consent, in the export and the receipt', async () => {
    const form = parseForm(await (await viewForm('lists=teen-club&locale=fr')).text());
    const wording = trackingWording('fr', runtime.config.sender.companyName);
    expect(form.labels.get('cm-trackingConsent')).toBe(wording.text);
    const email = uniqueAddress();
    const body = submittedFields(form, { email }, [
      { name: 'lists', value: 'teen-club' },
      { name: 'trackingConsent', value: 'on' },
      { name: 'ageConfirmed', value: 'on' },
    ]);
    expect((await post(form.action, body)).status).toBe(200);
    const [mail] = await mailArriving(email);
    const token = /confirm\?token=([\w.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';
    const confirmed = await publicAppFor(runtime).request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);

    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const response = await adminRequest(runtime, `/admin/v1/contacts/${contactId}/export`);
    expect(response.status).toBe(200);
    type Exported = {
      profile: { trackingConsent: boolean };
      consentLedger: { eventId: string; kind: string; evidence: unknown }[];
      consentReceipts: { eventId: string; receipt: string }[];
    };
    const exported = (await response.json()) as Exported;
    expect(exported.profile.trackingConsent).toBe(true);
    const granted = exported.consentLedger.find((event) => event.kind === 'tracking-granted');
    expect(granted?.evidence).toMatchObject({
      consentText: { version: 1, locale: 'fr', sha256: consentTextHash(wording.text) },
      evidenceKind: 'form-shown',
    });
    const receipt = exported.consentReceipts.find((issued) => issued.eventId === granted?.eventId);
    const document = JSON.parse(
      Buffer.from(String(receipt?.receipt).split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    expect(document['dpv:hasRecordOfActivity']['dpv:hasNotice']).toMatchObject({
      'dct:identifier': 'open-tracking/fr/1',
      'cm:sha256': consentTextHash(wording.text),
      'rdf:value': wording.text,
    });
  });

  it('refuses a form whose signed versions were altered with a 400 page, and writes nothing', async () => {
    const form = parseForm(await (await viewForm('lists=weekly-news&locale=en')).text());
    const field = form.inputs.find((input) => input.name === 'formVersions');
    const [keyId, payload, signature] = (field?.value ?? '').split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    expect(claims.d.shown).toEqual([{ listId: 'weekly-news', version: 1, locale: 'en' }]);
    claims.d.shown[0].version = 2;
    const altered = `${keyId}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await createConsentText(accessOf(runtime), { listId: 'weekly-news', locale: 'en', text: 'Version 2.' });

    const email = uniqueAddress();
    const body = submittedFields(form, { email }, [{ name: 'lists', value: 'weekly-news' }]);
    body.set('formVersions', altered);
    const before = await countItems(runtime);
    const response = await post(form.action, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('formVersions');
    expect(await countItems(runtime)).toBe(before);
    expect(await recordsOf(runtime, email)).toBeUndefined();
  });

  it('refuses a list that was not on the form, and a version declared beside the signed ones', async () => {
    const form = parseForm(await (await viewForm('lists=weekly-news&locale=en')).text());
    const before = await countItems(runtime);
    const offForm = submittedFields(form, { email: uniqueAddress() }, [
      { name: 'lists', value: 'weekly-news' },
    ]);
    offForm.append('lists', 'not-on-form');
    expect((await post(form.action, offForm)).status).toBe(400);
    const declared = submittedFields(form, { email: uniqueAddress() }, [
      { name: 'lists', value: 'weekly-news' },
    ]);
    declared.set('consentTextVersion', '1');
    declared.set('consentTextLocale', 'en');
    expect((await post(form.action, declared)).status).toBe(400);
    expect(await countItems(runtime)).toBe(before);
  });

  it('records a signup that comes from no form of ours as client-declared, as before', async () => {
    const email = uniqueAddress();
    const response = await publicAppFor(runtime).request(
      '/v1/subscribe',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, lists: ['not-on-form'] }),
      },
      fromIp,
    );
    expect(response.status).toBe(202);
    await untilRequestsProcessed(runtime);
    expect((await recordsOf(runtime, email))?.events[0]?.evidence).toMatchObject({
      consentText: { version: 1, locale: 'en' },
      evidenceKind: 'client-declared',
    });
  });

  it('gives the operator the same form for their own page, posting to our API, whose signups are form-shown', async () => {
    const response = await adminRequest(runtime, '/admin/v1/signup-form-snippet?lists=not-on-form&locale=fr');
    expect(response.status).toBe(200);
    const snippet = (await response.json()) as { html: string; lists: unknown[] };
    expect(snippet.lists).toEqual([
      {
        listId: 'not-on-form',
        consentTextVersion: 1,
        consentTextLocale: 'fr',
        sha256: consentTextHash('Oui, envoyez-moi not-on-form. Je peux me désinscrire à tout moment.'),
      },
    ]);
    expect(snippet.html).not.toMatch(/<script|<style|style=/);
    const form = parseForm(snippet.html);
    expect(form.action).toBe('http://localhost:3000/v1/subscribe?locale=fr');
    const email = uniqueAddress();
    const body = submittedFields(form, { email }, [{ name: 'lists', value: 'not-on-form' }]);
    expect((await post(form.action, body)).status).toBe(200);
    expect((await recordsOf(runtime, email))?.events[0]?.evidence).toMatchObject({
      consentText: { version: 1, locale: 'fr' },
      evidenceKind: 'form-shown',
    });
  });
});
