import { describe, expect, it } from 'vitest';
import {
  entities,
  formerKeyOf,
  keyOf,
  keyPrefix,
  primaryKeyOf,
  primaryKeyValuesOf,
  SUBSCRIBER_SHARDS,
  subscriberShard,
  table,
  tableDefinition,
} from '../../shared/data-model';

describe('data model keys', () => {
  it('fills every key of an entity, index keys included', () => {
    expect(
      keyOf('subscription', { contactId: 'c1', listId: 'weekly', shard: '7', status: 'confirmed' }),
    ).toEqual({
      pk: 'CONTACT#c1',
      sk: 'SUBSCRIPTION#weekly',
      gsi1pk: 'LIST#weekly#SHARD#7',
      gsi1sk: 'confirmed#c1',
    });
    expect(primaryKeyOf('message', { contactId: 'c1', messageId: 'm1' })).toEqual({
      pk: 'CONTACT#c1',
      sk: 'MESSAGE#m1',
    });
  });

  it("puts a message in the KEYS_ONLY gsi3 by our id only; gsi1's and gsi2's former keys stay readable", () => {
    expect(keyOf('message', { contactId: 'c1', messageId: 'm1' })).toEqual({
      pk: 'CONTACT#c1',
      sk: 'MESSAGE#m1',
      gsi3pk: 'MESSAGE#m1',
      gsi3sk: 'MESSAGE',
    });
    expect(formerKeyOf('message', 'gsi1', { messageId: 'm1' })).toEqual({
      gsi1pk: 'MESSAGE#m1',
      gsi1sk: 'MESSAGE',
    });
    expect(formerKeyOf('message', 'gsi2', { sesMessageId: 's1' })).toEqual({
      gsi2pk: 'SES_MESSAGE#s1',
      gsi2sk: 'MESSAGE',
    });
  });

  it('reads the values back from a primary key, and nothing from a key of another shape', () => {
    const key = {
      ...primaryKeyOf('message', { contactId: 'c_1-x', messageId: 'm-2' }),
      gsi3pk: 'MESSAGE#m-2',
    };
    expect(primaryKeyValuesOf('message', key)).toEqual({ contactId: 'c_1-x', messageId: 'm-2' });
    expect(primaryKeyValuesOf('message', { pk: 'CONTACT#c1', sk: 'PROFILE' })).toBeUndefined();
    expect(primaryKeyValuesOf('message', { pk: 'CONTACT#c1#x', sk: 'MESSAGE#m1' })).toBeUndefined();
    expect(primaryKeyValuesOf('message', { pk: 'CONTACT#', sk: 'MESSAGE#m1' })).toBeUndefined();
    expect(primaryKeyValuesOf('message', { pk: 'CONTACT#c1' })).toBeUndefined();
    expect(primaryKeyValuesOf('consentText', { pk: 'LIST#l1', sk: 'CONSENT_TEXT#fr#3' })).toEqual({
      listId: 'l1',
      locale: 'fr',
      version: '3',
    });
  });

  it('refuses values that could make one key look like another', () => {
    expect(() => primaryKeyOf('contact', { contactId: 'a#PROFILE' })).toThrow(/without "#"/);
    expect(() => primaryKeyOf('contact', { contactId: '' })).toThrow();
  });

  it('gives the literal prefix for begins_with queries up to the first missing value', () => {
    expect(keyPrefix('consentEvent', 'sk', {})).toBe('CONSENT#');
    expect(keyPrefix('consentText', 'sk', { locale: 'fr' })).toBe('CONSENT_TEXT#fr#');
    expect(keyPrefix('subscription', 'gsi1sk', { status: 'confirmed' })).toBe('confirmed#');
  });

  it('keeps the sort-key prefixes inside a contact partition distinct', () => {
    const contactEntities = Object.entries(entities).filter(([, e]) => e.pk === 'CONTACT#<contactId>');
    const prefixes = contactEntities.map(([, e]) => e.sk.split('<')[0] ?? '');
    for (const a of prefixes) {
      for (const b of prefixes) {
        if (a !== b) expect(a.startsWith(b), `${a} vs ${b}`).toBe(false);
      }
    }
  });

  it('spreads subscribers over stable shards', () => {
    const shards = new Set<string>();
    for (let i = 0; i < 2000; i++) shards.add(subscriberShard(`contact-${i}`));
    expect(shards.size).toBe(SUBSCRIBER_SHARDS);
    expect(subscriberShard('contact-1')).toBe(subscriberShard('contact-1'));
  });

  it('describes the table with the keys, indexes and stream of the model', () => {
    const definition = tableDefinition('t');
    expect(definition.KeySchema).toEqual([
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ]);
    expect(
      definition.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.Projection?.ProjectionType]),
    ).toEqual([
      ['gsi1', 'ALL'],
      ['gsi2', 'ALL'],
      ['gsi3', 'KEYS_ONLY'],
    ]);
    expect(definition.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });
});
