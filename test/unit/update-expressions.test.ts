import { describe, expect, it } from 'vitest';
import { amendUpdate, composedUpdate, updateExpression } from '../../shared/update-expressions';

const target = { TableName: 'table', Key: { pk: 'CONTACT#1', sk: 'PROFILE' } };
const exists = { ConditionExpression: 'attribute_exists(contactId) AND #f0 = :was0' };

describe('update expressions', () => {
  it('composes SET, REMOVE and ADD, each attribute and value behind its own placeholder', () => {
    expect(
      updateExpression({ set: { name: 'Ada', 'odd-name': 1 }, remove: ['gone'], add: { count: 2 } }),
    ).toEqual({
      UpdateExpression: 'SET #u0 = :u0, #u1 = :u1 REMOVE #u2 ADD #u3 :u2',
      ExpressionAttributeNames: { '#u0': 'name', '#u1': 'odd-name', '#u2': 'gone', '#u3': 'count' },
      ExpressionAttributeValues: { ':u0': 'Ada', ':u1': 1, ':u2': 2 },
    });
    expect(updateExpression({ remove: ['expiresAt'] })).toEqual({
      UpdateExpression: 'REMOVE #u0',
      ExpressionAttributeNames: { '#u0': 'expiresAt' },
    });
  });

  it('adds to a composed Update in the same clauses, keeping its condition and what it uses', () => {
    const condition = {
      ...exists,
      ExpressionAttributeNames: { '#f0': 'marketingOptOut' },
      ExpressionAttributeValues: { ':was0': false },
    };
    const { Update } = composedUpdate(target, { set: { marketingOptOut: true } }, condition);
    amendUpdate(Update, { set: { expiresAt: 10 } });
    amendUpdate(Update, { remove: ['trackingWithdrawnAt'] });
    expect(Update).toEqual({
      ...target,
      UpdateExpression: 'SET #u0 = :u0, #u1 = :u1 REMOVE #u2',
      ConditionExpression: exists.ConditionExpression,
      ExpressionAttributeNames: {
        '#f0': 'marketingOptOut',
        '#u0': 'marketingOptOut',
        '#u1': 'expiresAt',
        '#u2': 'trackingWithdrawnAt',
      },
      ExpressionAttributeValues: { ':was0': false, ':u0': true, ':u1': 10 },
    });
  });

  it('refuses to amend an Update written as text, or to change an attribute twice', () => {
    const written = { ...target, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } };
    expect(() => amendUpdate(written, { set: { b: 2 } })).toThrow(/composedUpdate/);
    const { Update } = composedUpdate(target, { set: { expiresAt: 1 } });
    expect(() => amendUpdate(Update, { remove: ['expiresAt'] })).toThrow(/expiresAt/);
  });
});
