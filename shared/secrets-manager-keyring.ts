import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type KeyringSource, keyringFromSecretJson } from './signing-keyring';

/**
 * Keyrings kept in Secrets Manager (on AWS: the token keys, the receipt keys, the origin credential). Its
 * own module, loaded with `import()` by `loadRuntime` only when a key is in a secret, so a function
 * configured with keys in its environment (local runs, the tests, the bench) never loads the client.
 */

/** The JSON secret named by `TOKEN_SIGNING_KEYS_SECRET`, read with `GetSecretValue` (AWSCURRENT). */
export function secretsManagerKeyringSource(
  client: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): KeyringSource {
  return {
    description: `Secrets Manager secret ${secretId}`,
    async load() {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      return keyringFromSecretJson(SecretString);
    },
  };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * A Secrets Manager client with short deadlines: a refresh runs while a request waits (the pixel among
 * them), and a slow Secrets Manager must cost that request little; the last good keyring stays in use.
 */
export function createSecretsManagerClient(options: { region: string; endpoint?: string }) {
  return new SecretsManagerClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
}
