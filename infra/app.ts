import { App } from 'aws-cdk-lib';
import { defineConsentMail } from './consent-mail';

/**
 * The CDK app (`cdk.json` runs it with tsx). Deployment values come from context: see docs/deploy.md.
 * The CLI synthesizes the app when this process exits.
 */
defineConsentMail(new App());
