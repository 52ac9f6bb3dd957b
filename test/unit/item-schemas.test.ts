import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ApiKeyView } from '../../shared/api-keys';
import type { AuditEvent } from '../../shared/audit/audit-events';
import type { Campaign } from '../../shared/campaigns/campaigns';
import type { CampaignTask } from '../../shared/campaigns/tasks';
import type { ConsentEvent } from '../../shared/consent/consent-events';
import type { Subscription } from '../../shared/consent/subscriptions';
import type { Contact } from '../../shared/contacts/contacts';
import { keyOf, tableAttributes } from '../../shared/data-model';
import { apiKeyItem } from '../../shared/data-model/api-key-items';
import type { auditEventItem } from '../../shared/data-model/audit-items';
import type { campaignItem, campaignTaskItem } from '../../shared/data-model/campaign-items';
import type {
  consentEventItem,
  consentTextItem,
  subscriptionItem,
} from '../../shared/data-model/consent-items';
import { contactItem } from '../../shared/data-model/contact-items';
import { fromItem, type ItemOf } from '../../shared/data-model/from-item';
import { listItem } from '../../shared/data-model/list-items';
import { messageItem } from '../../shared/data-model/message-items';
import type { publicRequestItem } from '../../shared/data-model/public-request-items';
import { suppressionItem } from '../../shared/data-model/suppression-items';
import { StoredItemError } from '../../shared/errors';
import type { ConsentText } from '../../shared/lists/consent-texts';
import type { MailingList } from '../../shared/lists/lists';
import type { PublicRequest } from '../../shared/requests/public-requests';
import type { MessageRecord } from '../../shared/sending/message-record';
import type { Suppression } from '../../shared/suppressions/suppressions';

/**
 * Every item read is checked against its entity's schema (shared/data-model/from-item.ts). These tests
 * keep it so: no unchecked double cast in the code that runs, each schema reads exactly the domain type
 * its repository returns, and a stored item that does not match is a `StoredItemError`.
 */

const root = new URL('../../', import.meta.url);

/**
 * The one double cast left, and why: local tooling that hands the OpenAPI document @hono/zod-openapi
 * builds to openapi-typescript, two libraries' declarations of the same JSON document.
 */
const allowedDoubleCasts = ['functions/local/admin-client-schema.ts'];

function sourceFiles(directory: string): string[] {
  return readdirSync(new URL(directory, root), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(directory, name));
}

/** Every optional field made required, all the way down: a schema missing a field fails to compare. */
type DeepRequired<T> = T extends readonly (infer Element)[]
  ? DeepRequired<Element>[]
  : T extends object
    ? { [Key in keyof T]-?: DeepRequired<T[Key]> }
    : T;

const contact = {
  contactId: 'c1',
  email: 'ada@example.com',
  emailHash: 'h1',
  name: null,
  locale: 'en',
  accountHolder: false,
  trackingConsent: false,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
};
const contactKeys = keyOf('contact', { contactId: 'c1', shard: '3', reviewAt: contact.createdAt });

describe('item schemas', () => {
  it('leaves no `as unknown as` in shared/ or functions/ but the tooling named above', () => {
    const found = ['shared', 'functions']
      .flatMap(sourceFiles)
      .filter((file) => readFileSync(new URL(file, root), 'utf8').includes(' as unknown as '));
    expect(found).toEqual(allowedDoubleCasts);
  });

  it('read exactly the type each repository returns: no field missing, none of another type', () => {
    // Checked by the compiler (`npm run typecheck`), deep: an optional field a schema forgot would be
    // dropped silently from every read.
    expectTypeOf<DeepRequired<ItemOf<typeof contactItem>>>().toEqualTypeOf<DeepRequired<Contact>>();
    expectTypeOf<DeepRequired<ItemOf<typeof subscriptionItem>>>().toEqualTypeOf<DeepRequired<Subscription>>();
    expectTypeOf<DeepRequired<ItemOf<typeof consentEventItem>>>().toEqualTypeOf<DeepRequired<ConsentEvent>>();
    expectTypeOf<DeepRequired<ItemOf<typeof consentTextItem>>>().toEqualTypeOf<DeepRequired<ConsentText>>();
    expectTypeOf<DeepRequired<ItemOf<typeof listItem>>>().toEqualTypeOf<DeepRequired<MailingList>>();
    expectTypeOf<DeepRequired<ItemOf<typeof campaignItem>>>().toEqualTypeOf<DeepRequired<Campaign>>();
    expectTypeOf<DeepRequired<ItemOf<typeof messageItem>>>().toEqualTypeOf<DeepRequired<MessageRecord>>();
    expectTypeOf<DeepRequired<ItemOf<typeof suppressionItem>>>().toEqualTypeOf<DeepRequired<Suppression>>();
    expectTypeOf<DeepRequired<ItemOf<typeof auditEventItem>>>().toEqualTypeOf<DeepRequired<AuditEvent>>();
    expectTypeOf<DeepRequired<ItemOf<typeof campaignTaskItem>>>().toEqualTypeOf<DeepRequired<CampaignTask>>();
    expectTypeOf<DeepRequired<ItemOf<typeof publicRequestItem>>>().toEqualTypeOf<
      DeepRequired<PublicRequest>
    >();
    // The stored key adds the hash of its secret, which no view shows.
    expectTypeOf<DeepRequired<Omit<ItemOf<typeof apiKeyItem>, 'secretHash'>>>().toEqualTypeOf<
      DeepRequired<ApiKeyView>
    >();
  });

  it('reads an API key stored before revocation as not revoked, and refuses a scope it does not know', () => {
    const key = {
      keyId: 'k1',
      prefix: 'cm_k1',
      name: 'CRM sync',
      scopes: ['contacts:read'],
      createdAt: contact.createdAt,
      createdBy: 'development',
      secretHash: 'abc',
    };
    expect(fromItem(apiKeyItem, key)).toMatchObject({ revokedAt: null, scopes: ['contacts:read'] });
    expect(() => fromItem(apiKeyItem, { ...key, scopes: ['everything'] })).toThrow(StoredItemError);
  });

  it('refuses a list item that does not match, naming each field that does not', () => {
    const list = {
      listId: 'weekly',
      texts: { en: { name: 'Weekly', description: '' } },
      doubleOptIn: true,
      welcomeEmail: { enabled: false, content: {} },
      minimumAge: null,
      trackingMode: 'off',
      createdAt: contact.createdAt,
      updatedAt: contact.createdAt,
    };
    expect(fromItem(listItem, { ...list, somethingElse: 1 })).toEqual(list);
    const read = () =>
      fromItem(listItem, {
        ...list,
        welcomeEmail: { enabled: false, content: { de: { subject: 'Hallo', text: 'Hallo' } } },
        minimumAge: '16',
        updatedAt: undefined,
      });
    expect(read).toThrow(StoredItemError);
    expect(read).toThrow(
      expect.objectContaining({
        details: [
          { path: 'welcomeEmail', message: expect.any(String) },
          { path: 'minimumAge', message: expect.any(String) },
          { path: 'updatedAt', message: 'is missing' },
        ],
      }),
    );
  });

  it("drops the table's attributes, named in one list, and whatever the schema does not declare", () => {
    expect(tableAttributes).toEqual([
      'pk',
      'sk',
      'gsi1pk',
      'gsi1sk',
      'gsi2pk',
      'gsi2sk',
      'gsi3pk',
      'gsi3sk',
      'entity',
    ]);
    const read = fromItem(contactItem, { ...contactKeys, entity: 'contact', somethingElse: 'x', ...contact });
    expect(Object.keys(read).sort()).toEqual(
      [
        ...Object.keys(contact),
        'accountStatus',
        'marketingOptOut',
        'doNotSell',
        'doNotSellSource',
        'doNotSellAt',
      ].sort(),
    );
  });

  it('keeps the expiry where the entity declares it (a pending-only contact), drops it elsewhere', () => {
    const pendingOnly = fromItem(contactItem, { ...contactKeys, expiresAt: 1_900_000_000, ...contact });
    expect(pendingOnly.expiresAt).toBe(1_900_000_000);
    const suppression = fromItem(suppressionItem, {
      emailHash: 'h1',
      reason: 'admin',
      scope: 'all',
      createdAt: contact.createdAt,
      expiresAt: 1_900_000_000,
    });
    expect(suppression).not.toHaveProperty('expiresAt');
  });

  it('reads items stored before later fields existed with their defaults', () => {
    expect(fromItem(contactItem, { ...contactKeys, ...contact })).toMatchObject({
      accountStatus: null,
      marketingOptOut: false,
      doNotSell: false,
      doNotSellSource: null,
      doNotSellAt: null,
    });
    const legacyList = {
      listId: 'weekly',
      texts: { en: { name: 'Weekly', description: '' } },
      doubleOptIn: true,
      welcomeEmail: { enabled: false, content: {} },
      minimumAge: null,
      trackingAllowedByDefault: true,
      createdAt: contact.createdAt,
      updatedAt: contact.createdAt,
    };
    const list = fromItem(listItem, {
      ...keyOf('list', { listId: 'weekly' }),
      entity: 'list',
      ...legacyList,
    });
    expect(list.trackingMode).toBe('per-person');
    expect(list).not.toHaveProperty('trackingAllowedByDefault');
  });

  it("reads the pixel's attributes on a message as its opens", () => {
    const message = fromItem(messageItem, {
      messageId: 'm1',
      contactId: 'c1',
      kind: 'marketing',
      listId: 'weekly',
      category: null,
      purpose: null,
      campaignId: null,
      subject: 'News',
      status: 'sent',
      refusals: [],
      exemption: null,
      headers: [{ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' }],
      tracked: true,
      trackingMode: 'per-person',
      sesMessageId: 'ses-1',
      createdAt: contact.createdAt,
      sentAt: contact.createdAt,
      openCount: 3,
      humanOpenCount: 2,
      firstOpenedAt: '2026-12-02T00:00:00.000Z',
      lastOpenedAt: '2026-12-03T00:00:00.000Z',
      lastOpenKind: 'human',
      claimToken: 'worker-claim',
    });
    expect(message.trackingConsent).toBe(false);
    expect(message.opens).toEqual({
      firstOpenedAt: '2026-12-02T00:00:00.000Z',
      lastOpenedAt: '2026-12-03T00:00:00.000Z',
      count: 3,
      humanCount: 2,
      machineCount: 0,
    });
    expect(message).not.toHaveProperty('claimToken');
    expect(message).not.toHaveProperty('openCount');
  });

  it('refuses a stored item that does not match its schema, naming the entity, key and fields, not the values', () => {
    const read = () =>
      fromItem(contactItem, {
        ...contactKeys,
        entity: 'contact',
        ...contact,
        locale: 'de',
        accountHolder: 'yes',
      });
    expect(read).toThrow(StoredItemError);
    try {
      read();
    } catch (error) {
      const stored = error as StoredItemError;
      expect(stored.kind).toBe('internal');
      expect(stored.code).toBe('stored_item_invalid');
      expect(stored.entity).toBe('contact');
      expect(stored.details?.map((detail) => detail.path)).toEqual(['locale', 'accountHolder']);
      expect(stored.message).toContain('CONTACT#c1 / PROFILE');
      expect(stored.message).not.toContain('yes');
    }
  });

  it('refuses an item of another entity, and one missing a required field', () => {
    expect(() => fromItem(contactItem, { ...contactKeys, entity: 'subscription', ...contact })).toThrow(
      /stored contact item .* entity: is "subscription"/,
    );
    const { emailHash: _emailHash, ...withoutHash } = contact;
    expect(() => fromItem(contactItem, { ...contactKeys, entity: 'contact', ...withoutHash })).toThrow(
      /emailHash: Invalid input/,
    );
  });
});
