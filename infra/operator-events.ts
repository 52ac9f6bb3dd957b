import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../shared/events/event-publisher';

/**
 * The operator's events on AWS (docs/events.md): a bus of their own, which the campaign worker (the table's
 * stream reader) puts every event on, and which operators attach their own rules to; and an archive of
 * everything on it, so events can be replayed after a restore of the table. The archive holds contact ids
 * (never addresses) that erasure cannot reach, so its retention is bounded: by default that of the table's
 * point-in-time recovery, 35 days (docs/retention.md).
 */

/** Point-in-time recovery keeps 35 days; the archive needs no more to replay after a restore. */
export const EVENT_ARCHIVE_RETENTION = Duration.days(35);

export interface OperatorEventsProps {
  /** @default EVENT_ARCHIVE_RETENTION */
  archiveRetention?: Duration;
}

export class OperatorEvents extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: OperatorEventsProps = {}) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: "consent-mail: the operator's consent and rights events (docs/events.md)",
    });
    this.archive = this.bus.archive('Archive', {
      description: 'consent-mail events, for replay after a restore; bounded retention (docs/retention.md)',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? EVENT_ARCHIVE_RETENTION,
    });
  }
}
