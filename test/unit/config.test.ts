import { describe, expect, it, vi } from 'vitest';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { loadConfig } from '../../shared/config';
import { ConfigurationError } from '../../shared/errors';

const secrets = generateDevelopmentSecrets();
const validEnvironment = (): Record<string, string | undefined> => ({
  SES_CONFIGURATION_SET: 'consent-mail',
  ...localEnvironment({
    tableName: 'consent-mail',
    dynamoDbEndpoint: 'http://127.0.0.1:8000',
    sesEndpoint: 'http://127.0.0.1:8005',
    baseUrl: 'https://mail.example.com/',
    secrets,
  }),
});

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems.map((problem) => problem.path);
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('loads a complete environment into a typed configuration', () => {
    const config = loadConfig(validEnvironment());
    expect(config.tableName).toBe('consent-mail');
    expect(config.baseUrl).toBe('https://mail.example.com');
    expect(config.sender.postalAddress).toContain('Springfield');
    const source = config.signingKeySource;
    expect(source.kind).toBe('configuration');
    if (source.kind !== 'configuration') return;
    expect(source.keyring.activeKeyId).toBe(secrets.tokenKeyId);
    expect(source.keyring.keys.get(secrets.tokenKeyId)?.length).toBe(32);
    expect(config.emailHashSecret.length).toBe(32);
    expect(config.logLevel).toBe('info');
  });

  it('names every missing variable at once', () => {
    const env = validEnvironment();
    delete env.TABLE_NAME;
    delete env.BASE_URL;
    env.SENDER_POSTAL_ADDRESS = '';
    expect(problemsOf(env)).toEqual(
      expect.arrayContaining(['TABLE_NAME', 'BASE_URL', 'SENDER_POSTAL_ADDRESS']),
    );
  });

  it('puts the variable name in the message that stops start-up', () => {
    const env = { ...validEnvironment(), SENDER_FROM_ADDRESS: 'not-an-address' };
    expect(() => loadConfig(env)).toThrow(/SENDER_FROM_ADDRESS: must be an email address/);
  });

  it('refuses a plain-http base URL except for localhost', () => {
    expect(problemsOf({ ...validEnvironment(), BASE_URL: 'http://mail.example.com' })).toEqual(['BASE_URL']);
    expect(loadConfig({ ...validEnvironment(), BASE_URL: 'http://localhost:3000' }).baseUrl).toBe(
      'http://localhost:3000',
    );
  });

  it('names BASE_URL when it is not a URL at all (a configuration error, not a crash)', () => {
    for (const BASE_URL of ['links.example.org', 'http://[bad']) {
      const env: Record<string, string | undefined> = { ...validEnvironment(), BASE_URL };
      expect(() => loadConfig(env)).toThrow(/BASE_URL: is required: the public https URL/);
      // The rule that reads BASE_URL's host (a configuration set unless localhost) must not trip on it either.
      delete env.SES_CONFIGURATION_SET;
      expect(() => loadConfig(env)).toThrow(/BASE_URL: is required: the public https URL/);
    }
  });

  it('refuses sender values that could inject headers', () => {
    expect(
      problemsOf({ ...validEnvironment(), SENDER_FROM_NAME: 'Example\r\nBcc: victim@example.org' }),
    ).toEqual(['SENDER_FROM_NAME']);
  });

  it('refuses signing keys that are too short, unnamed or duplicated', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    const long = Buffer.alloc(32, 2).toString('base64');
    expect(
      problemsOf({ ...validEnvironment(), TOKEN_SIGNING_KEYS: `k1:${short}`, TOKEN_ACTIVE_KEY_ID: 'k1' }),
    ).toEqual(['TOKEN_SIGNING_KEYS']);
    expect(problemsOf({ ...validEnvironment(), TOKEN_SIGNING_KEYS: `:${long}` })).toContain(
      'TOKEN_SIGNING_KEYS',
    );
    expect(
      problemsOf({
        ...validEnvironment(),
        TOKEN_SIGNING_KEYS: `k1:${long},k1:${long}`,
        TOKEN_ACTIVE_KEY_ID: 'k1',
      }),
    ).toEqual(['TOKEN_SIGNING_KEYS']);
  });

  it('requires the active key id to name a configured key', () => {
    expect(problemsOf({ ...validEnvironment(), TOKEN_ACTIVE_KEY_ID: 'retired' })).toEqual([
      'TOKEN_ACTIVE_KEY_ID',
    ]);
  });

  it('accepts several signing keys so old tokens verify after rotation', () => {
    const oldKey = Buffer.alloc(32, 3).toString('base64');
    const newKey = Buffer.alloc(32, 4).toString('base64');
    const config = loadConfig({
      ...validEnvironment(),
      TOKEN_SIGNING_KEYS: `2025a:${oldKey}, 2026a:${newKey}`,
      TOKEN_ACTIVE_KEY_ID: '2026a',
    });
    expect(config.signingKeySource).toMatchObject({
      kind: 'configuration',
      keyring: { activeKeyId: '2026a' },
    });
    const source = config.signingKeySource;
    expect(source.kind === 'configuration' && [...source.keyring.keys.keys()]).toEqual(['2025a', '2026a']);
  });

  it('takes the signing keys from a Secrets Manager secret instead, never from both', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TokenSigningKeys-AbCdEf';
    const onAws = { ...validEnvironment(), TOKEN_SIGNING_KEYS: undefined, TOKEN_ACTIVE_KEY_ID: undefined };
    expect(loadConfig({ ...onAws, TOKEN_SIGNING_KEYS_SECRET: secretArn }).signingKeySource).toEqual({
      kind: 'secrets-manager',
      secretId: secretArn,
      endpoint: undefined,
    });
    expect(problemsOf({ ...validEnvironment(), TOKEN_SIGNING_KEYS_SECRET: secretArn })).toEqual([
      'TOKEN_SIGNING_KEYS_SECRET',
    ]);
    expect(problemsOf({ ...onAws, TOKEN_ACTIVE_KEY_ID: 'k1' })).toEqual(['TOKEN_SIGNING_KEYS']);
    // No source at all is a function that signs nothing; the runtime refuses it for every other.
    expect(loadConfig(onAws).signingKeySource).toEqual({ kind: 'none' });
  });

  it('takes the receipt keys like the signing keys: listed, or a secret, never both; none is a function that issues no receipt', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ReceiptSigningKeys-AbCdEf';
    expect(loadConfig(validEnvironment()).receiptKeySource).toMatchObject({
      kind: 'configuration',
      keyring: { activeKeyId: secrets.receiptKeyId },
    });
    const onAws = {
      ...validEnvironment(),
      RECEIPT_SIGNING_KEYS: undefined,
      RECEIPT_ACTIVE_KEY_ID: undefined,
    };
    expect(loadConfig({ ...onAws, RECEIPT_SIGNING_KEYS_SECRET: secretArn }).receiptKeySource).toEqual({
      kind: 'secrets-manager',
      secretId: secretArn,
      endpoint: undefined,
    });
    expect(problemsOf({ ...validEnvironment(), RECEIPT_SIGNING_KEYS_SECRET: secretArn })).toEqual([
      'RECEIPT_SIGNING_KEYS_SECRET',
    ]);
    expect(problemsOf({ ...onAws, RECEIPT_ACTIVE_KEY_ID: 'r1' })).toEqual(['RECEIPT_SIGNING_KEYS']);
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(
      problemsOf({ ...validEnvironment(), RECEIPT_SIGNING_KEYS: `${secrets.receiptKeyId}:${short}` }),
    ).toEqual(['RECEIPT_SIGNING_KEYS']);
    expect(loadConfig(onAws).receiptKeySource).toEqual({ kind: 'none' });
  });

  it('never echoes a secret value in its error message', () => {
    const weakSecret = Buffer.from('tiny-but-secret').toString('base64');
    const env = { ...validEnvironment(), EMAIL_HASH_SECRET: weakSecret, ADMIN_API_KEY: 'short-admin-secret' };
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/EMAIL_HASH_SECRET/);
    expect(message).toMatch(/ADMIN_API_KEY/);
    expect(message).not.toContain(weakSecret);
    expect(message).not.toContain('short-admin-secret');
  });

  it('needs an SES configuration set off localhost, where bounce and complaint events come from', () => {
    expect(problemsOf({ ...validEnvironment(), SES_CONFIGURATION_SET: undefined })).toEqual([
      'SES_CONFIGURATION_SET',
    ]);
    expect(
      loadConfig({
        ...validEnvironment(),
        SES_CONFIGURATION_SET: undefined,
        BASE_URL: 'http://localhost:3000',
      }).sesConfigurationSet,
    ).toBeUndefined();
  });

  it('reports every rule a value breaks, and a value of the wrong kind once', () => {
    const messagesOf = (env: Record<string, string | undefined>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigurationError).problems.map(({ path, message }) => `${path}: ${message}`);
      }
      throw new Error('expected the configuration to be refused');
    };
    expect(messagesOf({ ...validEnvironment(), SOFT_BOUNCE_LIMIT: '0.5' })).toEqual([
      'SOFT_BOUNCE_LIMIT: must be a whole number',
      'SOFT_BOUNCE_LIMIT: must be at least 1',
    ]);
    expect(messagesOf({ ...validEnvironment(), SOFT_BOUNCE_LIMIT: 'three' })).toEqual([
      'SOFT_BOUNCE_LIMIT: must be a whole number',
    ]);
    expect(messagesOf({ ...validEnvironment(), SENDER_FROM_NAME: 'Example\u0085News' })).toEqual([
      expect.stringMatching(/^SENDER_FROM_NAME: must be one line without control characters.*\(found /),
    ]);
    expect(messagesOf({ ...validEnvironment(), BASE_URL: 'not a url', LOG_LEVEL: 'loud' })).toEqual([
      'BASE_URL: is required: the public https URL written into emails',
      'LOG_LEVEL: must be debug, info, warn or error',
    ]);
  });

  it('treats an empty variable as missing', () => {
    expect(problemsOf({ ...validEnvironment(), TABLE_NAME: '' })).toEqual(['TABLE_NAME']);
  });
  it('reads the environment without compiling code (it runs once, in every cold start)', async () => {
    // A fresh module: a validation library that compiles a parser (zod does, with `new Function`, on an
    // object schema's first parse) would pay for it in every cold start and save nothing.
    vi.resetModules();
    const fresh = await import('../../shared/config');
    const realFunction = globalThis.Function;
    let compiled = 0;
    globalThis.Function = new Proxy(realFunction, {
      construct(target, args) {
        compiled += 1;
        return Reflect.construct(target, args);
      },
    });
    try {
      fresh.loadConfig(validEnvironment());
    } finally {
      globalThis.Function = realFunction;
    }
    expect(compiled).toBe(0);
  });
});
