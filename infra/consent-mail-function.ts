import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The one way consent-mail builds a Lambda function, HTTP or not: Node 22 on ARM64, bundled locally by
 * esbuild into minified ESM with source maps, its own log group with a retention, and its own role that
 * starts with nothing but writing to that log group. Every grant is added by the stack, per function.
 */

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

/** The runtime every function runs on; the npm scripts pin the same Node major (test/unit/node-runtime.test.ts). */
export const lambdaRuntime = Runtime.NODEJS_22_X;

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies bundled into it (parts of the AWS SDK's
 * dependency tree) call it for Node built-ins, so the bundle defines one.
 */
export const esmRequireBanner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * The AWS SDK's default credential chain imports these providers on demand, but on Lambda its first
 * provider, the environment, always answers. Bundled, they and the STS/SSO clients they bring cost about
 * 105 KB per function (a tenth of each cold start's parse); each is replaced by a stub that fails loudly
 * should the bundle ever run where credentials come from anywhere else.
 */
export const credentialProvidersNotBundled = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/** esbuild's `alias` option: each provider above to the stub. */
export const bundleAliases: Record<string, string> = Object.fromEntries(
  credentialProvidersNotBundled.map((name) => [
    name,
    join(repositoryRoot, 'infra/lambda-runtime/credentials-from-environment-only.mjs'),
  ]),
);

export interface ConsentMailFunctionProps {
  /** The handler module, relative to the repository root, e.g. `functions/public-api/handler.ts`. */
  entry: string;
  description: string;
  /** Configuration variables (see `functionEnvironment`); NODE_OPTIONS is added here. */
  environment: Record<string, string>;
  /** @default 10 seconds */
  timeout?: Duration;
  /** @default 512 (MB); on ARM64 this also buys CPU, which shortens cold starts. */
  memorySize?: number;
  /** X-Ray active tracing. @default false */
  tracing?: boolean;
  /** Concurrency set aside for (and capping) the function. @default none: the account's unreserved pool */
  reservedConcurrentExecutions?: number;
}

export class ConsentMailFunction extends Construct implements IGrantable {
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: ConsentMailFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      // Stateless stack: the logs go with the function. Consent evidence lives in the table, not in logs.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Our own role instead of the default one with AWSLambdaBasicExecutionRole, whose logs permissions
    // cover every log group in the account; this function may write to its own log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `consent-mail ${id}: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.lambda = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: join(repositoryRoot, props.entry),
      handler: 'handler',
      runtime: lambdaRuntime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      projectRoot: repositoryRoot,
      depsLockFilePath: join(repositoryRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        minify: true,
        sourceMap: true,
        // The maps point at file and line; the sources themselves only make the bundle larger.
        sourcesContent: false,
        // Bundle the SDK versions the code was tested with rather than whatever the runtime ships.
        bundleAwsSDK: true,
        // No Docker here or in CI: the esbuild devDependency bundles on the host.
        forceDockerBundling: false,
        esbuildArgs: Object.fromEntries(
          Object.entries(bundleAliases).map(([name, stub]) => [`--alias:${name}`, stub]),
        ),
      },
    });

    Validations.of(this.lambda).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the project targets (engines, esbuild target, tests); moving to a ' +
        'newer runtime is a deliberate, tested change rather than something the linter decides.',
    });
    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.',
      });
    }
  }
}
