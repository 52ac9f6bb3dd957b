import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_BODY_LIMIT_BYTES, PUBLIC_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { adminRequest, publicAppFor } from '../support/apps';
import { countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

const TEN_MB = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** A body of `size` bytes (`head` first, then padding) that counts how much of it the server pulled. */
function countingBody(head: string, size: number) {
  const bytes = new TextEncoder().encode(head);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const chunk = new Uint8Array(Math.min(CHUNK, size - sent)).fill(0x78);
      if (sent === 0) chunk.set(bytes.subarray(0, chunk.length));
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

describe('request body size limits', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
  });

  const subscribe = (body: RequestInit['body'], headers: Record<string, string>) =>
    publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      body,
      headers,
      duplex: 'half',
    } as RequestInit);

  /** 413 with nothing written and nothing sent: the signup was never seen. */
  async function expectRefusedUnseen(response: Response, email: string, itemsBefore: number) {
    expect(response.status).toBe(413);
    expect(await recordsOf(runtime, email)).toBeUndefined();
    expect(await countItems(runtime)).toBe(itemsBefore);
    expect(await sentMailTo(email)).toEqual([]);
  }

  it('refuses a 10 MB JSON, urlencoded or multipart signup with 413, and records nothing', async () => {
    const before = await countItems(runtime);
    const padding = 'x'.repeat(TEN_MB);

    const json = `reader-${randomUUID()}@example.org`;
    const jsonBody = JSON.stringify({ email: json, lists: ['weekly-news'], padding });
    const jsonAnswer = await subscribe(jsonBody, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(jsonBody)),
    });
    await expectRefusedUnseen(jsonAnswer.clone(), json, before);
    expect(((await jsonAnswer.json()) as ErrorBody).error).toEqual({
      code: 'payload_too_large',
      message: expect.stringContaining(String(PUBLIC_BODY_LIMIT_BYTES)),
    });

    const form = `reader-${randomUUID()}@example.org`;
    const formBody = new URLSearchParams({ email: form, lists: 'weekly-news', padding }).toString();
    const formAnswer = await subscribe(formBody, {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(formBody.length),
      accept: 'text/html',
      'accept-language': 'fr',
    });
    await expectRefusedUnseen(formAnswer.clone(), form, before);
    // A browser's form gets the friendly page, in the person's language.
    expect(formAnswer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await formAnswer.text()).toContain('Cet envoi dépasse ce que ce formulaire accepte');

    // FormData sends no Content-Length: the body is read only up to the limit, then refused.
    const multipart = `reader-${randomUUID()}@example.org`;
    const data = new FormData();
    data.set('email', multipart);
    data.set('lists', 'weekly-news');
    data.set('padding', new Blob([padding]));
    await expectRefusedUnseen(await subscribe(data, {}), multipart, before);
  });

  it('refuses a declared oversize body without reading it, and reads an undeclared one only up to the limit', async () => {
    const before = await countItems(runtime);
    const declared = `reader-${randomUUID()}@example.org`;
    const head = `{"email":"${declared}","lists":["weekly-news"],"padding":"`;
    const unread = countingBody(head, TEN_MB);
    const refused = await subscribe(unread.stream, {
      'content-type': 'application/json',
      'content-length': String(TEN_MB),
    });
    await expectRefusedUnseen(refused, declared, before);
    expect(unread.pulled()).toBeLessThanOrEqual(2 * CHUNK);

    const chunked = `reader-${randomUUID()}@example.org`;
    const partly = countingBody(`{"email":"${chunked}","lists":["weekly-news"],"padding":"`, TEN_MB);
    await expectRefusedUnseen(
      await subscribe(partly.stream, { 'content-type': 'application/json' }),
      chunked,
      before,
    );
    expect(partly.pulled()).toBeLessThanOrEqual(PUBLIC_BODY_LIMIT_BYTES + 2 * CHUNK);
  });

  it('lets admin routes read larger bodies (imports, HTML) up to their own limit', async () => {
    // 400,000 characters of HTML is far over the public limit: read and answered on its merits.
    const large = await adminRequest(runtime, '/admin/v1/messages', {
      method: 'POST',
      body: JSON.stringify({
        contactId: 'nobody',
        kind: 'marketing',
        listId: 'weekly-news',
        subject: 'Hi',
        html: `<p>${'x'.repeat(400_000)}</p>`,
      }),
    });
    expect(large.status).toBe(404);

    const before = await countItems(runtime);
    const email = `reader-${randomUUID()}@example.org`;
    const rows = Array.from({ length: 1000 }, (_, index) => ({
      email: index === 0 ? email : `row-${index}-${randomUUID()}@example.org`,
      name: 'x'.repeat(200),
      lists: Array.from({ length: 20 }, () => ({
        listId: 'weekly-news',
        noEvidence: true,
        legalBasis: 'legitimate-interest',
        source: 'customer file',
      })),
    }));
    const body = JSON.stringify({ contacts: rows, padding: 'x'.repeat(ADMIN_BODY_LIMIT_BYTES) });
    const tooLarge = await adminRequest(runtime, '/admin/v1/contacts', {
      method: 'POST',
      body,
      headers: { 'content-length': String(Buffer.byteLength(body)) },
    });
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as ErrorBody).error.code).toBe('payload_too_large');
    expect(await recordsOf(runtime, email)).toBeUndefined();
    expect(await countItems(runtime)).toBe(before);
  });
});
