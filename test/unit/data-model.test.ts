import { describe, expect, it } from 'vitest';
import {
  entities,
  keyOf,
  keyPrefix,
  primaryKeyOf,
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
    expect(definition.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['gsi1', 'gsi2']);
    expect(definition.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });
});
