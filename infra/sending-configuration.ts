import { Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import {
  ConfigurationSet,
  type ConfigurationSetEventDestination,
  ConfigurationSetTlsPolicy,
  EmailSendingEvent,
  EventDestination,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/**
 * The SES v2 configuration set every email is sent with (`SES_CONFIGURATION_SET`), and its event
 * destination: the account's default EventBridge bus, where the ses-events rule picks the events up.
 */

/**
 * The sending events the ses-events function applies, each with the EventBridge `detail-type` SES gives it
 * (EventBridge user guide, "Amazon Simple Email Service events"). One list, so the event destination and the
 * rule's pattern can't drift apart. Opens and clicks are not published: our own open pixel records opens,
 * and publishing them would have SES insert its own pixel and rewrite the signed links in every email.
 */
export const trackedSendingEvents = [
  { event: EmailSendingEvent.SEND, detailType: 'Email Sent' },
  { event: EmailSendingEvent.DELIVERY, detailType: 'Email Delivered' },
  { event: EmailSendingEvent.BOUNCE, detailType: 'Email Bounced' },
  { event: EmailSendingEvent.COMPLAINT, detailType: 'Email Complaint Received' },
  { event: EmailSendingEvent.REJECT, detailType: 'Email Rejected' },
  { event: EmailSendingEvent.DELIVERY_DELAY, detailType: 'Email Delivery Delayed' },
  { event: EmailSendingEvent.RENDERING_FAILURE, detailType: 'Email Rendering Failed' },
] as const;

/**
 * The message tag SES adds to every email sent with a configuration set (an "auto-tag"), carrying the set's
 * name; it arrives in each event as `detail.mail.tags['ses:configuration-set']` (a list of one value).
 */
export const CONFIGURATION_SET_TAG = 'ses:configuration-set';

export class SendingConfiguration extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly eventDestination: ConfigurationSetEventDestination;
  /** `arn:aws:ses:<region>:<account>:configuration-set/<name>`, the resource `ses:SendEmail` names. */
  readonly configurationSetArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    // A generated name (every function gets it through SES_CONFIGURATION_SET): a fixed one would stop
    // CloudFormation replacing the set, and would collide between two deployments in one account.
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      // Opportunistic TLS, SES's default. REQUIRE would turn every receiving server without STARTTLS into a
      // bounce: a hard bounce suppresses a consenting address and counts against the bounce rate, while
      // nothing in our mail (opt-in links are signed, single-use or revocable) needs TLS more than the
      // recipient's provider offers it.
      tlsPolicy: ConfigurationSetTlsPolicy.OPTIONAL,
    });

    this.eventDestination = this.configurationSet.addEventDestination('EventBridge', {
      // SES publishes only to the default bus (the L2 checks this).
      destination: EventDestination.eventBus(EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: trackedSendingEvents.map(({ event }) => event),
    });

    this.configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }
}
