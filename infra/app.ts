import { App } from 'aws-cdk-lib';
import { defineConsentMail } from './consent-mail';

/**
 * The CDK app (`cdk.json` runs it with tsx). Deployment values come from context: see docs/deploy.md.
 * The region is the CLI's (AWS_REGION or the profile's), which a CloudFront distribution needs.
 * The CLI synthesizes the app when this process exits.
 */
defineConsentMail(new App(), { region: process.env.CDK_DEFAULT_REGION });
