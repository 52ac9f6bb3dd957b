import { Annotations, type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PLACEHOLDER_DOMAIN, readDeploymentSettings } from './deployment-settings';
import { StatefulStack } from './stateful-stack';
import { StatelessStack } from './stateless-stack';

export interface ConsentMailStacks {
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/**
 * Adds the whole of consent-mail to an app: `infra/app.ts` for the CLI, the infra tests for assertions.
 * Stack ids are stable names of deployed stacks; don't rename them.
 */
export function defineConsentMail(app: App): ConsentMailStacks {
  const settings = readDeploymentSettings(app);

  const stateful = new StatefulStack(app, 'ConsentMailStateful', {
    description: 'consent-mail: DynamoDB table and secrets (retained, termination-protected)',
  });
  const stateless = new StatelessStack(app, 'ConsentMailStateless', {
    description: 'consent-mail: functions and endpoints',
    table: stateful.table,
    secrets: stateful.secrets,
    settings,
  });

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

  return { stateful, stateless };
}
