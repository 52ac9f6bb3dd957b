import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../../shared/campaigns/campaigns';
import { newContact, putNewContact } from '../../shared/contacts/contacts';
import type { Runtime } from '../../shared/runtime';
import { runCommand } from '../support/commands';
import { accessOf, givenList } from '../support/consent-fixtures';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * `npm run check-data`, run as a separate process against DynamoDB Local exactly as against a deployed
 * table: stored values written before the validation rules (or by hand) are reported, not skipped.
 */

const checkData = (runtime: Runtime) =>
  runCommand('check-data-command.ts', [], {
    TABLE_NAME: runtime.config.tableName,
    AWS_REGION: runtime.config.region,
    DYNAMODB_ENDPOINT: runtime.config.dynamoDbEndpoint,
  });

const BAD_NAME = 'Ada\u0085Lovelace';
const QUOTED_ADDRESS = '"ada lovelace"@example.org';

describe('npm run check-data', () => {
  let runtime: Runtime;
  let named: { contactId: string }[];
  let quoted: { contactId: string };
  beforeAll(async () => {
    runtime = await createTestRuntime();
    // As an older version (or a hand edit) could have left them: the repositories do not validate.
    await givenList(runtime, {
      listId: 'legacy',
      texts: {
        en: { name: 'Legacy news', description: '' },
        fr: { name: 'Lettre\u000Bancienne', description: '' },
      },
      welcomeEmail: { enabled: true, content: { en: { subject: 'RE: welcome', text: 'Hello.' } } },
    });
    named = await givenConfirmedSubscribers(runtime, 'legacy', 2, {
      names: (index) => (index === 0 ? BAD_NAME : 'Grace Hopper'),
    });
    const contact = newContact(
      { email: QUOTED_ADDRESS, name: null, locale: 'en', emailHashSecret: runtime.config.emailHashSecret },
      new Date(),
    );
    await runtime.clients.documents.send(
      new TransactWriteCommand({ TransactItems: putNewContact(accessOf(runtime), contact) }),
    );
    quoted = contact;
    await createCampaign(
      accessOf(runtime),
      {
        name: 'Spring',
        kind: 'marketing',
        audience: { type: 'list', listId: 'legacy' },
        subject: 'Spring\tnews',
        html: null,
        text: 'Hello',
        tracking: false,
        advertisement: false,
        category: null,
        policyEffectiveDate: null,
        promotionalOverride: null,
      },
      { now: new Date() },
    );
  });

  it('reports each stored value that fails a rule (item, field, rule, never the value) and exits 1', async () => {
    const result = await checkData(runtime);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(lines).toEqual(
      expect.arrayContaining([
        '  list  LIST#legacy LIST  texts.fr.name: header-safe text: contains U+000B (vertical tab)',
        expect.stringMatching(
          /^ {2}list {2}LIST#legacy LIST {2}welcomeEmail\.content\.en\.subject: email subject: must not start like a reply/,
        ),
        `  contact  CONTACT#${named[0]?.contactId} PROFILE  name: header-safe text: contains U+0085 (next line, NEL)`,
        expect.stringMatching(
          new RegExp(`^ {2}contact {2}CONTACT#${quoted.contactId} PROFILE {2}email: email address: `),
        ),
        expect.stringMatching(
          /^ {2}campaign {2}CAMPAIGN#\S+ CAMPAIGN {2}subject: header-safe text: contains U\+0009/,
        ),
      ]),
    );
    expect(lines).toHaveLength(5);
    expect(result.stdout).toMatch(/5 stored values fail the rules/);
    for (const value of [BAD_NAME, 'Lovelace', QUOTED_ADDRESS, 'Lettre', 'Spring']) {
      expect(result.stdout).not.toContain(value);
    }
  });

  it('exits 0 on a table where every stored value can be sent', async () => {
    const clean = await createTestRuntime();
    await givenList(clean, { listId: 'news' });
    await givenConfirmedSubscribers(clean, 'news', 3);
    const result = await checkData(clean);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/items checked, every stored value can be sent/);
  });
});
