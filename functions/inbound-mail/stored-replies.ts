import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Where the reply-to receipt rule's S3 action stored each reply (infra/inbound-mail-receipt.ts): the whole
 * message, under `replies/<SES message id>`. Read with one SigV4-signed GET (the project carries the SES and
 * DynamoDB clients, not the S3 one; @smithy/signature-v4 is what those clients sign with), with the
 * function's own credentials from its environment, as Lambda provides them.
 */

export interface StoredReplies {
  /** The raw message SES stored for `sesMessageId`. */
  read(sesMessageId: string): Promise<Buffer>;
}

export const REPLY_OBJECT_PREFIX = 'replies/';

/** The hash SignatureV4 asks for (SHA-256, or HMAC-SHA-256 with a key), from node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export function s3StoredReplies(bucket: string, region: string, env: NodeJS.ProcessEnv): StoredReplies {
  const signer = new SignatureV4({
    service: 's3',
    region,
    sha256: NodeSha256,
    credentials: async () => ({
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    }),
    uriEscapePath: false,
  });
  const hostname = `${bucket}.s3.${region}.amazonaws.com`;
  return {
    async read(sesMessageId) {
      // SES message ids are letters, digits and dashes: nothing in the path needs escaping.
      if (!/^[A-Za-z0-9-]+$/.test(sesMessageId)) throw new Error('not an SES message id');
      const path = `/${REPLY_OBJECT_PREFIX}${sesMessageId}`;
      const signed = await signer.sign({
        method: 'GET',
        protocol: 'https:',
        hostname,
        path,
        query: {},
        headers: { host: hostname, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      });
      const response = await fetch(`https://${hostname}${path}`, {
        headers: signed.headers as Record<string, string>,
      });
      if (!response.ok) throw new Error(`reading the stored reply failed: HTTP ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
