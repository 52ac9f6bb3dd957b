import { type AwsClients, createAwsClients } from './aws-clients';
import { type Config, type LoadedConfig, loadConfig } from './config';
import { ConfigurationError } from './errors';
import { createLogger, type Logger } from './log';
import { KEYRING_REFRESH_INTERVAL_MS, RefreshingKeyring } from './refreshing-keyring';
import type { SigningKeySource } from './signing-key-source';
import { configuredKeyringSource, type SigningKeyring } from './signing-keyring';

/**
 * What every function needs, built once per process (Lambda cold start, `npm start`, a test): validated
 * configuration, SDK clients, a logger and the signing keyring. A bad configuration throws here, before
 * any request is served.
 */
export interface Runtime {
  config: Config;
  clients: AwsClients;
  logger: Logger;
  /** The same object as `config.signingKeys`; handlers call `refreshIfDue` as each invocation starts. */
  signingKeyring: RefreshingKeyring;
  /**
   * The CloudFront origin credential (shared/http/origin-credential.ts), refreshed like the signing keys;
   * undefined without `ORIGIN_SECRET_ID`.
   */
  originCredential: RefreshingKeyring | undefined;
  /**
   * The consent-receipt keys (shared/receipts/), the same object as `config.receiptKeys`, refreshed like
   * the signing keys; undefined where none are configured.
   */
  receiptKeyring: RefreshingKeyring | undefined;
}

export interface RuntimeOptions {
  /** False for a function that signs and verifies no token (ses-events): it needs no keys. */
  signsTokens?: boolean;
  now?: () => number;
  /** How long a request waits for a due keyring refresh (RefreshingKeyringOptions.maxWaitMs). */
  keyringMaxWaitMs?: number;
}

/** For keys in the configuration (local, tests): nothing to wait for. */
export function createRuntime(
  env: Record<string, string | undefined>,
  service: string,
  options: RuntimeOptions = {},
): Runtime {
  const loaded = loadConfig(env);
  const logger = createLogger({ level: loaded.logLevel, service });
  const source = loaded.signingKeySource;
  if (loaded.originSecret !== undefined) {
    throw new ConfigurationError([
      {
        path: 'ORIGIN_SECRET_ID',
        message: 'is read asynchronously from Secrets Manager: start with loadRuntime',
      },
    ]);
  }
  if (loaded.receiptKeySource.kind === 'secrets-manager') {
    throw new ConfigurationError([
      {
        path: 'RECEIPT_SIGNING_KEYS_SECRET',
        message: 'keys in Secrets Manager are read asynchronously: start with loadRuntime',
      },
    ]);
  }
  if (source.kind === 'secrets-manager' && options.signsTokens !== false) {
    throw new ConfigurationError([
      {
        path: 'TOKEN_SIGNING_KEYS_SECRET',
        message: 'keys in Secrets Manager are read asynchronously: start with loadRuntime',
      },
    ]);
  }
  return assemble(loaded, logger, fixedKeyring(source, logger, options), {
    receipts: configuredReceiptKeyring(loaded.receiptKeySource, logger),
  });
}

/** The receipt keys of the configuration, or none (a function that issues no receipt). */
function configuredReceiptKeyring(source: SigningKeySource, logger: Logger) {
  return source.kind === 'configuration'
    ? RefreshingKeyring.fixed(configuredKeyringSource(source.keyring), source.keyring, logger)
    : undefined;
}

/**
 * Any source of keys, as a Lambda cold start does it (top-level `await`): with a secret, its keyring is
 * read before the first request and refreshed every few minutes after.
 */
export async function loadRuntime(
  env: Record<string, string | undefined>,
  service: string,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const loaded = loadConfig(env);
  const source = loaded.signingKeySource;
  const logger = createLogger({ level: loaded.logLevel, service });
  const fromSecret = async (secretId: string, endpoint: string | undefined) => {
    const { createSecretsManagerClient, secretsManagerKeyringSource } = await import(
      './secrets-manager-keyring'
    );
    return RefreshingKeyring.load(
      secretsManagerKeyringSource(createSecretsManagerClient({ region: loaded.region, endpoint }), secretId),
      {
        logger,
        refreshIntervalMs: KEYRING_REFRESH_INTERVAL_MS,
        now: options.now,
        maxWaitMs: options.keyringMaxWaitMs,
      },
    );
  };
  const receiptSource = loaded.receiptKeySource;
  const [keyring, originCredential, receipts] = await Promise.all([
    source.kind === 'secrets-manager' && options.signsTokens !== false
      ? fromSecret(source.secretId, source.endpoint)
      : fixedKeyring(source, logger, options),
    loaded.originSecret && fromSecret(loaded.originSecret.secretId, loaded.originSecret.endpoint),
    receiptSource.kind === 'secrets-manager'
      ? fromSecret(receiptSource.secretId, receiptSource.endpoint)
      : configuredReceiptKeyring(receiptSource, logger),
  ]);
  return assemble(loaded, logger, keyring, { originCredential, receipts });
}

function fixedKeyring(source: SigningKeySource, logger: Logger, options: RuntimeOptions) {
  if (source.kind === 'configuration') {
    return RefreshingKeyring.fixed(configuredKeyringSource(source.keyring), source.keyring, logger);
  }
  if (options.signsTokens !== false) {
    throw new ConfigurationError([
      {
        path: 'TOKEN_SIGNING_KEYS',
        message: 'is required: comma-separated `keyId:base64Secret` pairs (or TOKEN_SIGNING_KEYS_SECRET)',
      },
    ]);
  }
  return RefreshingKeyring.fixed(
    { description: 'none', load: async () => noSigningKeys },
    noSigningKeys,
    logger,
  );
}

/** The keyring of a function that signs nothing: using it is a programming error, said loudly. */
const noSigningKeys: SigningKeyring = {
  get activeKeyId(): string {
    throw new Error('This function has no signing keys (started with signsTokens: false)');
  },
  get keys(): ReadonlyMap<string, Buffer> {
    throw new Error('This function has no signing keys (started with signsTokens: false)');
  },
};

function assemble(
  loaded: LoadedConfig,
  logger: Logger,
  keyring: RefreshingKeyring,
  more: { originCredential?: RefreshingKeyring; receipts: RefreshingKeyring | undefined },
): Runtime {
  const { signingKeySource: _, receiptKeySource: __, ...rest } = loaded;
  const config: Config = { ...rest, signingKeys: keyring, receiptKeys: more.receipts };
  return {
    config,
    clients: createAwsClients(config),
    logger,
    signingKeyring: keyring,
    originCredential: more.originCredential,
    receiptKeyring: more.receipts,
  };
}
