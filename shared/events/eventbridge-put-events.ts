import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';

/**
 * EventBridge `PutEvents` through AWS's own client. An entry EventBridge reports as failed makes the
 * whole call fail, so the stream record is retried (entries that did go in are then put again: the
 * events' ids let rules' targets de-duplicate).
 */

export interface PutEventsEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  /** Epoch seconds. */
  Time: number;
}

export type PutEvents = (entries: PutEventsEntry[]) => Promise<void>;

export interface PutEventsOptions {
  region: string;
  /** Tests: a local receiver instead of EventBridge's regional endpoint. */
  endpoint?: string;
  credentials?: EventBridgeClientConfig['credentials'];
  timeoutMs?: number;
}

export function eventBridgePutEvents(options: PutEventsOptions): PutEvents {
  const client = new EventBridgeClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    requestHandler: { requestTimeout: options.timeoutMs ?? 5000, throwOnRequestTimeout: true },
  });
  return async (entries) => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: entries.map((entry) => ({ ...entry, Time: new Date(entry.Time * 1000) })),
      }),
    );
    if ((answer.FailedEntryCount ?? 0) > 0) {
      throw new Error(
        `EventBridge PutEvents: ${answer.FailedEntryCount} of ${entries.length} entries failed`,
      );
    }
  };
}
