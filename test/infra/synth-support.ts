import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

/**
 * What the infra test files share: an app with the feature flags of cdk.json and an operator's deployment
 * context, and the cdk-nag report it writes. Each test file synthesizes its app once and reads the result.
 */

const repositoryRoot = join(import.meta.dirname, '..', '..');
const cdkJsonContext = JSON.parse(readFileSync(join(repositoryRoot, 'cdk.json'), 'utf8')).context;

/** A deployment as an operator would describe it (docs/deploy.md#context-values). */
export const deploymentContext = {
  senderDomain: 'news.example.org',
  baseUrl: 'https://mail.example.org',
  companyName: 'Example Org Ltd',
  postalAddress: '1 Main Street, Springfield 12345, USA',
};

/** Report validation findings in validation-report.json instead of throwing, so a test can list them. */
const reportInsteadOfThrowing = { '@aws-cdk/core:failSynthOnValidationErrors': false };

/** Skips esbuild bundling, for apps whose tests read templates only (the asset is a stand-in). */
export const withoutBundling = { 'aws:cdk:bundling-stacks': [] };

const outdirs: string[] = [];

/** A new app writing to its own temporary directory; `removeOutdirs` (in `afterAll`) deletes them. */
export function newApp(extraContext: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'consent-mail-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    context: { ...cdkJsonContext, ...deploymentContext, ...reportInsteadOfThrowing, ...extraContext },
  });
}

export function removeOutdirs() {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Every finding in a synthesized app's validation report, as `rule at construct path`. */
export function validationFindings(directory: string): string[] {
  const report: ValidationReport = JSON.parse(
    readFileSync(join(directory, 'validation-report.json'), 'utf8'),
  );
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map((where) => `${violation.ruleName} at ${where.constructPath}`),
    ),
  );
}

/** The template's logical ID of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource);
}

/** The properties of every permission to invoke the function `functionId` (its logical id). */
export function invokePermissionsOf(template: Template, functionId: string): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::Lambda::Permission'))
    .filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(functionId))
    .map((permission) => permission.Properties);
}

/** The one resource of `type` in `template`, with its logical id; throws unless there is exactly one. */
export function onlyResource(template: Template, type: string) {
  const [only, ...others] = Object.entries(template.findResources(type));
  if (only === undefined || others.length > 0) throw new Error(`expected exactly one ${type}`);
  const [logicalId, resource] = only;
  return { logicalId, resource };
}
