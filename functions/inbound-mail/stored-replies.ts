import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Where the reply-to receipt rule's S3 action stored each reply (infra/inbound-mail-receipt.ts): the whole
 * message, under `replies/<SES message id>`, read with AWS's S3 client and the function's own credentials.
 * The S3 client (a tenth of the function's bundle) is loaded and built on the first reply read: most mail
 * to these mailboxes is an unsubscribe, which never reads S3, and a cold start should not pay for it.
 */

export interface StoredReplies {
  /** The raw message SES stored for `sesMessageId`. */
  read(sesMessageId: string): Promise<Buffer>;
}

export const REPLY_OBJECT_PREFIX = 'replies/';

export function s3StoredReplies(bucket: string, region: string): StoredReplies {
  let s3: S3Client | undefined;
  return {
    async read(sesMessageId) {
      // SES message ids are letters, digits and dashes: never a path of our choosing.
      if (!/^[A-Za-z0-9-]+$/.test(sesMessageId)) throw new Error('not an SES message id');
      const { GetObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
      s3 ??= new S3Client({ region });
      const { Body } = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `${REPLY_OBJECT_PREFIX}${sesMessageId}` }),
      );
      if (Body === undefined) throw new Error('the stored reply is empty');
      return Buffer.from(await Body.transformToByteArray());
    },
  };
}
