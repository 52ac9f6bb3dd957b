import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_SIZE_TARGET_BYTES, bundleCeiling, functionEntries } from '../../infra/bundle-sizes';
import { defineConsentMail } from '../../infra/consent-mail';
import { bundleFileSizes } from '../../infra/function-bundle';
import { SINGLE_SEND_TIMEOUT_MS } from '../../shared/aws-clients';
import { configVariables, loadConfig } from '../../shared/config';
import { table, tableDefinition } from '../../shared/data-model';
import { ConfigurationError } from '../../shared/errors';
import { IDEMPOTENCY_LEASE_SECONDS } from '../../shared/idempotency';
import { startSecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import {
  invokePermissionsOf,
  logicalIdOf,
  newApp,
  onlyResource,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

const execFileAsync = promisify(execFile);
const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * Fine-grained assertions on the synthesized templates. The app is synthesized once for the file (with the
 * feature flags of cdk.json, the default context flags and real esbuild bundling), and the tests read the
 * result. The `inboundMail` flag's receipt rule is tested in inbound-mail.test.ts; the SES configuration
 * set, the route of its events to ses-events, the alarms and the sending permissions in ses-events.test.ts;
 * the campaign worker's triggers, permissions and alarms in campaign-worker.test.ts.
 */

afterAll(removeOutdirs);

const app = newApp();
const stacks = defineConsentMail(app);
const assembly = app.synth();
const stateful = Template.fromStack(stacks.stateful);
const stateless = Template.fromStack(stacks.stateless);

const byAttributeName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
  String(a.AttributeName).localeCompare(String(b.AttributeName));
const byIndexName = (a: { IndexName?: string }, b: { IndexName?: string }) =>
  String(a.IndexName).localeCompare(String(b.IndexName));

describe('stateful stack', () => {
  const definition = tableDefinition('any-name');
  const { logicalId, resource: tableResource } = onlyResource(stateful, 'AWS::DynamoDB::GlobalTable');
  const properties = tableResource.Properties;
  const replica = properties.Replicas[0];

  it('the table has exactly the keys, indexes, TTL and stream of shared/data-model.ts', () => {
    expect(properties.KeySchema).toEqual(definition.KeySchema);
    expect([...properties.AttributeDefinitions].sort(byAttributeName)).toEqual(
      [...(definition.AttributeDefinitions ?? [])].sort(byAttributeName),
    );
    expect([...properties.GlobalSecondaryIndexes].sort(byIndexName)).toEqual(
      [...(definition.GlobalSecondaryIndexes ?? [])].sort(byIndexName),
    );
    expect(properties.TimeToLiveSpecification).toEqual({
      AttributeName: table.timeToLiveAttribute,
      Enabled: true,
    });
    expect(properties.StreamSpecification).toEqual({ StreamViewType: table.streamView });
    expect(properties.BillingMode).toBe(definition.BillingMode);
  });

  // CloudFormation creates or deletes one GSI per update of a table: a change to this list that adds or
  // removes more than one index at once cannot be deployed. Change it by one index per deploy (docs/deploy.md).
  it('the table has the indexes deployed so far, with their projections (one index added per deploy)', () => {
    const indexes = [...properties.GlobalSecondaryIndexes]
      .sort(byIndexName)
      .map((index) => [index.IndexName, index.Projection.ProjectionType]);
    expect(indexes).toEqual([
      ['gsi1', 'ALL'],
      ['gsi2', 'ALL'],
      // Added 2026-12-07 (the message lookup by our id, docs/data-model.md `message`).
      ['gsi3', 'KEYS_ONLY'],
    ]);
  });

  it('the table is retained and protected from deletion, with point-in-time recovery', () => {
    expect(tableResource.DeletionPolicy).toBe('Retain');
    expect(tableResource.UpdateReplacePolicy).toBe('Retain');
    expect(replica.DeletionProtectionEnabled).toBe(true);
    expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it("the table's logical ID is pinned, so a refactor can never replace it", () => {
    expect(logicalId).toBe('ConsentMailTable');
  });

  it('the signing keys, the receipt keys and the email hash secret are generated, retained and pinned', () => {
    const secrets = stateful.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets).sort()).toEqual([
      'ConsentMailEmailHashSecret',
      'ConsentMailReceiptSigningKeys',
      'ConsentMailTokenSigningKeys',
    ]);
    for (const secret of Object.values(secrets)) {
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.UpdateReplacePolicy).toBe('Retain');
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toMatchObject({
        PasswordLength: 64,
        ExcludePunctuation: true,
      });
    }
  });

  it('the stateful stack is termination-protected', () => {
    expect(assembly.getStackArtifact(stacks.stateful.artifactId).terminationProtection).toBe(true);
  });
});

describe('stateless stack', () => {
  const functions = Object.entries(stateless.findResources('AWS::Lambda::Function'));
  const resources = stateless.toJSON().Resources;
  const environments = functions.map(
    ([logicalId, fn]) => [logicalId, fn.Properties.Environment.Variables as Record<string, unknown>] as const,
  );

  const httpFunctionIds = [stacks.stateless.publicApi, stacks.stateless.adminApi].map((fn) =>
    logicalIdOf(fn.lambda),
  );
  const inboundMailId = logicalIdOf(stacks.stateless.inboundMail.lambda);
  const sesEventsId = logicalIdOf(stacks.stateless.sesEvents.lambda);
  const campaignWorkerId = logicalIdOf(stacks.stateless.campaignWorker.lambda);

  it('has the public, the admin, the inbound-mail, the ses-events and the campaign worker function', () => {
    expect(functions).toHaveLength(5);
    expect(functions.map(([logicalId]) => logicalId).sort()).toEqual(
      [...httpFunctionIds, inboundMailId, sesEventsId, campaignWorkerId].sort(),
    );
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Public API'),
    });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Admin API'),
    });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Inbound mail'),
    });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^SES events'),
    });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Campaign worker'),
    });
  });

  it('every function runs Node.js 22 on ARM64 and logs to its own log group with a retention', () => {
    const logGroups = new Set<string>();
    for (const [logicalId, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.MemorySize).toBe(512);
      // The campaign worker hands its task over before its 5 minutes run out; everything else is quick.
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(logicalId === campaignWorkerId ? 300 : 30);
      // No --enable-source-maps: it parses every module's source map during the cold start; logged stacks
      // are mapped when logged (shared/source-mapped-stack.ts).
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
      const logGroupId: string = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupId]?.Properties.RetentionInDays).toBeGreaterThan(0);
      logGroups.add(logGroupId);
    }
    expect(logGroups.size).toBe(functions.length);
  });

  it('the HTTP functions outlast a send to SES and stop before an Idempotency-Key lease ends', () => {
    const http = functions.filter(([, fn]) => /^(Admin|Public) API/.test(String(fn.Properties.Description)));
    expect(http).toHaveLength(2);
    for (const [, fn] of http) {
      // A send that gets no answer is recorded `uncertain` before Lambda stops the request, and a claim is
      // taken over only once the request holding it can no longer be running (docs/sending.md).
      expect(fn.Properties.Timeout * 1000).toBeGreaterThan(SINGLE_SEND_TIMEOUT_MS);
      expect(fn.Properties.Timeout).toBeLessThan(IDEMPOTENCY_LEASE_SECONDS);
    }
  });

  it('the inbound-mail function runs Node.js 22 on ARM64 and logs to its own log group', () => {
    const inbound = resources[inboundMailId];
    expect(inbound.Properties.Runtime).toBe('nodejs22.x');
    expect(inbound.Properties.Architectures).toEqual(['arm64']);
    expect(inbound.Properties.Timeout).toBeLessThan(30);
    expect(inbound.Properties.LoggingConfig.LogGroup.Ref).toBe(
      logicalIdOf(stacks.stateless.inboundMail.logGroup),
    );
    expect(resources[logicalIdOf(stacks.stateless.inboundMail.logGroup)]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('exactly the public and the admin function of the five have a Function URL, and the stack outputs both URLs', () => {
    const urls = Object.values(stateless.findResources('AWS::Lambda::Url'));
    expect(urls).toHaveLength(2);
    expect(urls.map((url) => url.Properties.TargetFunctionArn['Fn::GetAtt'][0]).sort()).toEqual(
      [...httpFunctionIds].sort(),
    );
    for (const url of urls) expect(url.Properties.AuthType).toBe('NONE');
    for (const output of ['PublicApiUrl', 'AdminApiUrl']) {
      stateless.hasOutput(output, { Value: { 'Fn::GetAtt': [Match.anyValue(), 'FunctionUrl'] } });
    }
  });

  it('no function is given the development admin key or a local endpoint', () => {
    for (const [, environment] of environments) {
      for (const name of ['ADMIN_API_KEY', 'DYNAMODB_ENDPOINT', 'SES_ENDPOINT', 'SECRETS_MANAGER_ENDPOINT']) {
        expect(environment).not.toHaveProperty(name);
      }
    }
  });

  it('every function gets every variable loadConfig requires, and none it does not read', () => {
    const required = requiredConfigVariables();
    expect(required).toContain('TABLE_NAME');
    for (const [logicalId, environment] of environments) {
      const names = Object.keys(environment);
      expect({ logicalId, missing: required.filter((name) => !names.includes(name)) }).toEqual({
        logicalId,
        missing: [],
      });
      const known: readonly string[] = configVariables;
      expect(names.filter((name) => !known.includes(name) && name !== 'NODE_OPTIONS')).toEqual([]);
    }
  });

  it('every function sends with the configuration set of this stack', () => {
    const configurationSetId = logicalIdOf(stacks.stateless.sending.configurationSet);
    for (const [, environment] of environments) {
      expect(environment.SES_CONFIGURATION_SET).toEqual({ Ref: configurationSetId });
    }
  });

  it('no signing key is in any environment: the functions that sign get the name of the keys secret', () => {
    const keysSecretArn = stacks.stateless.resolve(stacks.stateful.secrets.tokenSigningKeys.secretArn);
    for (const [logicalId, environment] of environments) {
      expect(environment).not.toHaveProperty('TOKEN_SIGNING_KEYS');
      expect(environment).not.toHaveProperty('TOKEN_ACTIVE_KEY_ID');
      // The hash secret never changes: a deploy-time reference, resolved by CloudFormation.
      expect(JSON.stringify(environment.EMAIL_HASH_SECRET)).toContain('{{resolve:secretsmanager:');
      if (logicalId === sesEventsId) expect(environment).not.toHaveProperty('TOKEN_SIGNING_KEYS_SECRET');
      else expect(environment.TOKEN_SIGNING_KEYS_SECRET).toEqual(keysSecretArn);
    }
    expect(keysSecretArn).toEqual({ 'Fn::ImportValue': expect.stringContaining('TokenSigningKeys') });
  });

  it('only the two APIs, which issue consent receipts, get the name of the receipt keys secret; no receipt key is in any environment', () => {
    const receiptSecretArn = stacks.stateless.resolve(stacks.stateful.secrets.receiptSigningKeys.secretArn);
    const issuers = [stacks.stateless.publicApi, stacks.stateless.adminApi].map((fn) =>
      logicalIdOf(fn.lambda),
    );
    for (const [logicalId, environment] of environments) {
      expect(environment).not.toHaveProperty('RECEIPT_SIGNING_KEYS');
      expect(environment).not.toHaveProperty('RECEIPT_ACTIVE_KEY_ID');
      if (issuers.includes(logicalId))
        expect(environment.RECEIPT_SIGNING_KEYS_SECRET).toEqual(receiptSecretArn);
      else expect(environment).not.toHaveProperty('RECEIPT_SIGNING_KEYS_SECRET');
    }
    expect(receiptSecretArn).toEqual({ 'Fn::ImportValue': expect.stringContaining('ReceiptSigningKeys') });
  });

  it('the functions that sign or verify tokens may read the keys secret, the APIs the receipt keys, and only read them; ses-events may not', () => {
    const keysSecretArn = stacks.stateless.resolve(stacks.stateful.secrets.tokenSigningKeys.secretArn);
    const receiptSecretArn = stacks.stateless.resolve(stacks.stateful.secrets.receiptSigningKeys.secretArn);
    const statements = Object.values(stateless.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.map((statement: Record<string, unknown>) => ({
        ...statement,
        roles: policy.Properties.Roles,
      })),
    );
    const onSecrets = statements.filter((statement) =>
      [statement.Action].flat().some((action) => String(action).startsWith('secretsmanager:')),
    );
    // Grants of the same action to one role share a statement: who may read each secret, by resource.
    const readersOf = (arn: unknown) =>
      onSecrets
        .filter((statement) =>
          [statement.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify(arn)),
        )
        .map((statement) => statement.roles)
        .sort(byJson);
    const rolesOf = (fns: { role: Construct }[]) =>
      fns.map((fn) => [{ Ref: logicalIdOf(fn.role) }]).sort(byJson);
    const { publicApi, adminApi, inboundMail, campaignWorker } = stacks.stateless;
    expect(readersOf(keysSecretArn)).toEqual(rolesOf([publicApi, adminApi, inboundMail, campaignWorker]));
    // Only the two APIs issue and verify consent receipts.
    expect(readersOf(receiptSecretArn)).toEqual(rolesOf([publicApi, adminApi]));
    expect(onSecrets.map((statement) => statement.roles).sort(byJson)).toEqual(
      rolesOf([publicApi, adminApi, inboundMail, campaignWorker]),
    );
    for (const statement of onSecrets) {
      expect(statement).toMatchObject({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue' });
      for (const resource of [statement.Resource].flat()) {
        expect([keysSecretArn, receiptSecretArn]).toContainEqual(resource);
      }
    }
  });

  it('each bundle is at most 1 MB, or its recorded ceiling while it is over (infra/bundle-sizes.ts)', () => {
    const nameOf = new Map(
      (
        [
          ['public-api', stacks.stateless.publicApi],
          ['admin-api', stacks.stateless.adminApi],
          ['inbound-mail', stacks.stateless.inboundMail],
          ['ses-events', stacks.stateless.sesEvents],
          ['campaign-worker', stacks.stateless.campaignWorker],
        ] as const
      ).map(([name, fn]) => [logicalIdOf(fn.lambda), name]),
    );
    // npm run bundle-sizes measures the same entries: every deployed function is among them.
    expect([...nameOf.values()].sort()).toEqual(Object.keys(functionEntries).sort());
    expect(functions).toHaveLength(nameOf.size);
    for (const [logicalId, fn] of functions) {
      const name = nameOf.get(logicalId) ?? logicalId;
      const directory = join(assembly.directory, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      // Split bundles: a function weighs all its files. The APIs' route groups are chunks of their own, read
      // on first use, so their index.mjs is a fraction of the whole (infra/function-bundle.ts).
      const { totalBytes: size, entryBytes } = bundleFileSizes(directory);
      expect(size, `${name} bundle bytes`).toBeLessThanOrEqual(bundleCeiling(name));
      if (name === 'public-api' || name === 'admin-api')
        expect(entryBytes, `${name} index.mjs bytes`).toBeLessThan(size / 2);
      if (bundleCeiling(name) > BUNDLE_SIZE_TARGET_BYTES) {
        // A function on the over-target list that is back under 1 MB must leave the list.
        expect(size, `${name} is under 1 MB again: remove it from overTargetCeilings`).toBeGreaterThan(
          BUNDLE_SIZE_TARGET_BYTES,
        );
      }
    }
  });

  it('each bundled function starts with its environment once CloudFormation has resolved it', async () => {
    // The functions that sign read their keys at cold start: from a stand-in, with the generated shape.
    const secretsManager = await startSecretsManagerStandIn();
    secretsManager.put(
      resolveAtDeploy({ 'Fn::ImportValue': 'keys' }),
      JSON.stringify({ activeKeyId: simulatedSecretFields.activeKeyId, k1: simulatedSecretFields.k1 }),
    );
    for (const [logicalId, fn] of functions) {
      const assetDirectory = join(
        assembly.directory,
        `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`,
      );
      const bundle = join(assetDirectory, 'index.mjs');
      expect(existsSync(bundle), `${logicalId} bundle`).toBe(true);
      const environment = Object.fromEntries(
        Object.entries(fn.Properties.Environment.Variables).map(([name, value]) => [
          name,
          resolveAtDeploy(value),
        ]),
      );
      const check = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
        if (typeof m.handler !== 'function') throw new Error('no handler export');`;
      const localOnly = { SECRETS_MANAGER_ENDPOINT: secretsManager.endpoint };
      try {
        await execFileAsync(process.execPath, ['--input-type=module', '--eval', check], {
          env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...environment, ...localOnly },
          timeout: 20_000,
        });
      } catch (error) {
        await secretsManager.close();
        const stderr = (error as { stderr?: string }).stderr ?? String(error);
        expect.fail(`${logicalId} did not start: ${stderr.slice(0, 2000)}`);
      }
    }
    // Each function but ses-events read its keys once; the two APIs their receipt keys too (the stand-in
    // answers every imported secret with the same generated shape, which both keyrings accept).
    expect(secretsManager.calls).toBe(functions.length - 1 + 2);
    await secretsManager.close();
  });

  it('functions may not scan the table or use wildcard actions, and only the campaign worker reads the stream', () => {
    const policies = Object.values(stateless.findResources('AWS::IAM::Policy'));
    const actionsOf = (policy: (typeof policies)[number]): string[] =>
      policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) =>
        [statement.Action].flat(),
      );
    const actions = policies.flatMap(actionsOf);
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:Scan');
    const streamReaders = policies
      .filter((policy) =>
        actionsOf(policy).some((action) =>
          ['dynamodb:GetRecords', 'dynamodb:GetShardIterator'].includes(action),
        ),
      )
      .flatMap((policy) => policy.Properties.Roles);
    expect(streamReaders).toEqual([{ Ref: logicalIdOf(stacks.stateless.campaignWorker.role) }]);
    for (const role of Object.values(stateless.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('the inbound-mail function may write its logs and read and write table items, read the signing keys, nothing else', () => {
    const roleId = logicalIdOf(stacks.stateless.inboundMail.role);
    const statements = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const actions = [...new Set(statements.flatMap((statement) => [statement.Action].flat()))].sort();
    expect(actions).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      // It verifies the token of a reply (the keys secret only, see above).
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('without the inboundMail flag there is no receipt rule set and nothing may invoke the inbound function', () => {
    stateless.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
    stateless.resourceCountIs('AWS::SES::ReceiptRule', 0);
    expect(invokePermissionsOf(stateless, inboundMailId)).toEqual([]);
    expect(Object.keys(stateless.findOutputs('*'))).not.toContain('InboundMailRuleSetName');
  });
});

describe('cdk-nag (AWS Solutions checks)', () => {
  it('reports no finding that is not acknowledged', () => {
    expect(validationFindings(assembly.directory)).toEqual([]);
  });

  it('every acknowledgement gives a written reason', () => {
    const acknowledgements = acknowledgementsIn(app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('runs on the app: a resource nobody acknowledged is reported', () => {
    // Bundling is skipped here: this app only exists to prove that the checks are wired in.
    const probe = newApp(withoutBundling);
    const probeStacks = defineConsentMail(probe);
    new Secret(probeStacks.stateful, 'UnacknowledgedSecret');
    probe.synth();
    expect(validationFindings(probe.outdir)).toContain(
      'AwsSolutions-SMG4 at ConsentMailStateful/UnacknowledgedSecret/Resource',
    );
  });
});

/** The variables `loadConfig` refuses to do without: those it names when given nothing at all. */
function requiredConfigVariables(): string[] {
  try {
    loadConfig({});
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return [...new Set(error.problems.map((problem) => problem.path))];
  }
  throw new Error('loadConfig accepted an empty environment');
}

function acknowledgementsIn(scope: Construct): { id: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id, reason })),
  );
}

/** What Secrets Manager generates for `generateSecretString` with punctuation excluded. */
const generatedValue = () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 64 }, () => alphabet[randomInt(alphabet.length)]).join('');
};
const simulatedSecretFields: Record<string, string> = {
  activeKeyId: 'k1',
  k1: generatedValue(),
  emailHashSecret: generatedValue(),
};

/**
 * Resolves an environment value as CloudFormation would at deploy time: imports and references to this
 * stack's resources (the configuration set's generated name) become stand-in names, and
 * `{{resolve:secretsmanager:…:SecretString:field::}}` becomes a value like the one generated.
 */
function resolveAtDeploy(value: unknown): string {
  const flatten = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const intrinsic = part as Record<string, unknown>;
    if ('Fn::ImportValue' in intrinsic) return 'ConsentMailStateful-import';
    if ('Ref' in intrinsic) return `ConsentMailStateless-${String(intrinsic.Ref)}-generated`;
    if ('Fn::Join' in intrinsic) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    throw new Error(`unexpected intrinsic in a function environment: ${JSON.stringify(part)}`);
  };
  return flatten(value).replace(
    /\{\{resolve:secretsmanager:[^:]+:SecretString:([^:]+):[^:]*:[^:]*\}\}/g,
    (_, field: string) => {
      const resolved = simulatedSecretFields[field];
      if (resolved === undefined) throw new Error(`no secret field "${field}"`);
      return resolved;
    },
  );
}
