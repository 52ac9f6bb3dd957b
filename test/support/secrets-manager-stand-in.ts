import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Secrets Manager: answers `GetSecretValue` over the real wire protocol (JSON 1.1,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), so the SDK client and `secretsManagerKeyringSource` run
 * unchanged against it. Tests change a secret's value, or make it fail, between calls.
 */
export interface SecretsManagerStandIn {
  endpoint: string;
  /** Sets (or replaces) a secret's current value, as `PutSecretValue` would. */
  put(secretId: string, value: string): void;
  /** While set, every call answers 500 InternalServiceError, as an outage would. */
  failing: boolean;
  /** GetSecretValue calls received so far. */
  readonly calls: number;
  close(): Promise<void>;
}

export async function startSecretsManagerStandIn(): Promise<SecretsManagerStandIn> {
  const secrets = new Map<string, string>();
  let calls = 0;
  const standIn: SecretsManagerStandIn = {
    endpoint: '',
    failing: false,
    put: (secretId, value) => void secrets.set(secretId, value),
    get calls() {
      return calls;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      calls += 1;
      const answer = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(payload));
      };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        return answer(400, { __type: 'InvalidRequestException', message: 'only GetSecretValue' });
      }
      if (standIn.failing) return answer(500, { __type: 'InternalServiceError', message: 'stand-in outage' });
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = secrets.get(SecretId);
      if (value === undefined) {
        return answer(400, { __type: 'ResourceNotFoundException', message: 'no such secret' });
      }
      answer(200, {
        ARN: SecretId,
        Name: SecretId,
        SecretString: value,
        VersionId: `v${calls}`,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  standIn.endpoint = `http://127.0.0.1:${port}`;
  return standIn;
}
