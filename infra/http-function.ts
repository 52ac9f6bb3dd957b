import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ConsentMailFunction, type ConsentMailFunctionProps } from './consent-mail-function';

/**
 * A Hono app on Lambda behind a Lambda Function URL (docs/deploy.md explains why not API Gateway).
 *
 * The URL's auth type is NONE on purpose: the public routes (subscribe, confirm, one-click unsubscribe,
 * open pixel) are reached by browsers and mail providers that carry no AWS credentials, and the admin app
 * checks its Bearer API keys itself before routing. IAM auth would require SigV4 from every caller.
 */
export class HttpFunction extends ConsentMailFunction {
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: ConsentMailFunctionProps) {
    super(scope, id, props);
    this.url = this.lambda.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  }
}
