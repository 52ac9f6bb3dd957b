import { Annotations, type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  type DeploymentSettings,
  DeploymentSettingsError,
  PLACEHOLDER_DOMAIN,
  readDeploymentSettings,
} from './deployment-settings';
import { EdgeAlarmsStack, type FrontedApi } from './edge-alarms-stack';
import { EDGE_REGION, EdgeStack, needsEdge } from './edge-stack';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export interface ConsentMailStacks {
  stateful: StatefulStack;
  stateless: StatelessStack;
  /** With a CloudFront distribution (linkDomain, adminDomain, adminAllowedCidrs): us-east-1, before stateless. */
  edge?: EdgeStack;
  /** With a CloudFront distribution: its WAF and 5xx alarms, us-east-1, after stateless. */
  edgeAlarms?: EdgeAlarmsStack;
}

export interface ConsentMailOptions {
  /**
   * The region the stateful and stateless stacks deploy to (`infra/app.ts` passes the CLI's
   * `CDK_DEFAULT_REGION`). Needed only with a CloudFront distribution, whose us-east-1 stacks reference
   * them across regions; without one the stacks stay environment-agnostic.
   */
  region?: string;
}

/**
 * Adds the whole of consent-mail to an app: `infra/app.ts` for the CLI, the infra tests for assertions.
 * Stack ids are stable names of deployed stacks; don't rename them.
 */
export function defineConsentMail(app: App, options: ConsentMailOptions = {}): ConsentMailStacks {
  const settings = readDeploymentSettings(app);
  const withEdge = needsEdge(settings);
  if (withEdge && options.region === undefined) {
    throw new DeploymentSettingsError([
      'linkDomain, adminDomain and adminAllowedCidrs need the region the stacks deploy to (their CloudFront ' +
        'certificates and WAF live in us-east-1 and are referenced across regions): run the CDK CLI with a ' +
        "region configured (AWS_REGION, or the profile's region)",
    ]);
  }
  // Explicit only when a cross-region reference needs it, so templates without CloudFront are unchanged.
  const env = withEdge ? { region: options.region } : undefined;

  const stateful = new StatefulStack(app, 'ConsentMailStateful', {
    description: 'consent-mail: DynamoDB table and secrets (retained, termination-protected)',
    env,
  });
  const edge = withEdge
    ? new EdgeStack(app, 'ConsentMailEdge', {
        description: 'consent-mail: WAF web ACLs and CloudFront certificates (us-east-1)',
        env: { region: EDGE_REGION },
        settings,
      })
    : undefined;
  const stateless = new StatelessStack(app, 'ConsentMailStateless', {
    description: 'consent-mail: functions and endpoints',
    table: stateful.table,
    secrets: stateful.secrets,
    settings,
    edge,
    env,
  });
  const edgeAlarms = edge === undefined ? undefined : defineEdgeAlarms(app, stateless, edge, settings);

  if (settings.placeholder) {
    Annotations.of(stateless).addWarningV2(
      'consent-mail:placeholder-sender',
      `No senderDomain in the context: sender values are ${PLACEHOLDER_DOMAIN} placeholders and nothing ` +
        'can be sent. Pass -c senderDomain=... and the other values in docs/deploy.md#context-values.',
    );
  }

  if (settings.linkDomain === undefined) {
    Annotations.of(stateless).addWarningV2(
      'consent-mail:no-link-domain',
      'No linkDomain in the context: every email link points at the shared *.lambda-url.<region>.on.aws ' +
        'host, unrelated to your From domain (it looks like phishing to people and filters, and cannot move ' +
        'later without breaking links already sent); no WAF filters traffic; and the consent evidence records ' +
        'the address that reached the Function URL. See docs/deploy.md#link-domain.',
    );
  }

  Tags.of(app).add('project', 'consent-mail');
  // cdk-nag v3 is a policy-validation plugin: it runs after synthesis and fails it on any finding that is
  // not acknowledged (`Validations.of(construct).acknowledge({ id, reason })`) next to the resource.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  return { stateful, stateless, edge, edgeAlarms };
}

function defineEdgeAlarms(
  app: App,
  stateless: StatelessStack,
  edge: EdgeStack,
  settings: DeploymentSettings,
): EdgeAlarmsStack {
  const apis: FrontedApi[] = [];
  if (stateless.linkDomain !== undefined && edge.publicWebAcl !== undefined) {
    apis.push({ name: 'Public', distribution: stateless.linkDomain.distribution, webAcl: edge.publicWebAcl });
  }
  if (stateless.adminFrontDoor !== undefined && edge.adminWebAcl !== undefined) {
    apis.push({
      name: 'Admin',
      distribution: stateless.adminFrontDoor.distribution,
      webAcl: edge.adminWebAcl,
    });
  }
  return new EdgeAlarmsStack(app, 'ConsentMailEdgeAlarms', {
    description: 'consent-mail: WAF and CloudFront alarms and their topic (us-east-1)',
    env: { region: EDGE_REGION },
    apis,
    wafMode: settings.edge.wafMode,
    alarmEmail: settings.alarmEmail,
  });
}
