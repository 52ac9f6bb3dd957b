import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleFunction, FUNCTION_NODE_OPTIONS, repositoryRoot } from './function-bundle';

/**
 * The one way consent-mail builds a Lambda function, HTTP or not: Node 22 on ARM64, bundled locally by
 * esbuild into minified, split ESM with source maps (infra/function-bundle.ts; read only when a stack is
 * logged, shared/source-mapped-stack.ts), its own log group with a
 * retention, and its own role that starts with nothing but writing to that log group. Every grant is added by the stack, per function.
 */

export { repositoryRoot };

/** The runtime every function runs on; the npm scripts pin the same Node major (test/unit/node-runtime.test.ts). */
export const lambdaRuntime = Runtime.NODEJS_22_X;

/**
 * The function's code: its entry bundled by `bundleFunction` (infra/function-bundle.ts) on this machine
 * at synth, into the asset directory CDK gives. NodejsFunction writes one file only; the bundles are
 * split into an entry and chunks loaded on first use. The asset's hash is that of the output. Docker is
 * never used (the image below is a placeholder CDK requires; local bundling always succeeds or throws).
 */
function bundledCode(entry: string): Code {
  return Code.fromAsset(join(repositoryRoot, dirname(entry)), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-not-used'),
      local: {
        tryBundle(outputDir) {
          bundleFunction(entry, outputDir);
          return true;
        },
      },
    },
  });
}

export interface ConsentMailFunctionProps {
  /** The handler module, relative to the repository root, e.g. `functions/public-api/handler.ts`. */
  entry: string;
  description: string;
  /** Configuration variables (see `functionEnvironment`); NODE_OPTIONS (FUNCTION_NODE_OPTIONS) is added here. */
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
  readonly lambda: LambdaFunction;
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

    this.lambda = new LambdaFunction(this, 'Function', {
      description: props.description,
      code: bundledCode(props.entry),
      handler: 'index.handler',
      runtime: lambdaRuntime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: FUNCTION_NODE_OPTIONS
        ? { ...props.environment, NODE_OPTIONS: FUNCTION_NODE_OPTIONS }
        : props.environment,
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
