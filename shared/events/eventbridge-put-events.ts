import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * EventBridge `PutEvents` (AWS JSON 1.1), signed with AWS's own SigV4 signer. The repository has no
 * EventBridge SDK client; this is the one call the publisher makes, and the wire format is AWS's documented
 * one (`X-Amz-Target: AWSEvents.PutEvents`). An entry EventBridge reports as failed makes the whole call
 * fail, so the stream record is retried (entries that did go in are then put again: the events' ids let
 * rules' targets de-duplicate).
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

/** SHA-256 and HMAC-SHA256 from node:crypto, in the shape the signer asks for. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = NodeSha256.start(secret);
  }
  private static start(secret: NodeSha256['secret']) {
    return secret === undefined ? createHash('sha256') : createHmac('sha256', NodeSha256.bytes(secret));
  }
  private static bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return Buffer.from(data);
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(NodeSha256.bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset() {
    this.hash = NodeSha256.start(this.secret);
  }
}

export interface PutEventsOptions {
  region: string;
  /** Tests: a local receiver instead of `https://events.<region>.amazonaws.com`. */
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  timeoutMs?: number;
}

export function putEventsOverHttps(options: PutEventsOptions): PutEvents {
  const endpoint = new URL(options.endpoint ?? `https://events.${options.region}.amazonaws.com/`);
  const signer = new SignatureV4({
    credentials: options.credentials ?? defaultProvider(),
    region: options.region,
    service: 'events',
    sha256: NodeSha256,
  });
  return async (entries) => {
    const body = JSON.stringify({ Entries: entries });
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
      path: endpoint.pathname,
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body,
    });
    // fetch sets Host itself, from the same URL the signature covers.
    const { host: _host, ...headers } = signed.headers;
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    const answer = (await response.json().catch(() => ({}))) as {
      FailedEntryCount?: number;
      __type?: string;
    };
    if (!response.ok)
      throw new Error(`EventBridge PutEvents failed: ${response.status} ${answer.__type ?? ''}`);
    if ((answer.FailedEntryCount ?? 0) > 0) {
      throw new Error(
        `EventBridge PutEvents: ${answer.FailedEntryCount} of ${entries.length} entries failed`,
      );
    }
  };
}
