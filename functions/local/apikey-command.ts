import { parseArgs } from 'node:util';
import {
  type ApiKeyScope,
  type ApiKeyView,
  apiKeyScopes,
  createApiKey,
  isApiKeyId,
  listApiKeys,
  revokeApiKey,
} from '../../shared/api-keys';
import { recordAuditEvent } from '../../shared/audit/audit-events';
import { AppError } from '../../shared/errors';
import type { TableAccess } from '../../shared/table-access';
import { headerSafeText } from '../../shared/validation/schemas';
import { commandTable, isMissingTable, UsageError } from './command-table';

/**
 * `npm run apikey -- <create|list|revoke>`: manage admin API keys straight in the table, which is how the
 * first key of a deployment is made (docs/api-keys.md). Which table: see command-table.ts.
 */

const USAGE = `Usage:
  npm run apikey -- create --scopes <scope,...> [--name <name>] [--local]
  npm run apikey -- list [--local]
  npm run apikey -- revoke <keyId> [--local]

Scopes: ${apiKeyScopes.join(', ')} (admin implies every other).
Without --local: set TABLE_NAME and AWS_REGION, with AWS credentials for the account.`;

function parseScopes(raw: string | undefined): ApiKeyScope[] {
  const scopes = (raw ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (scopes.length === 0) throw new UsageError('create needs --scopes, e.g. --scopes admin');
  for (const scope of scopes) {
    if (!(apiKeyScopes as readonly string[]).includes(scope)) {
      throw new UsageError(`Unknown scope "${scope}". Scopes: ${apiKeyScopes.join(', ')}.`);
    }
  }
  return [...new Set(scopes)] as ApiKeyScope[];
}

/** The command's changes are audited like the API's, under key id `command`. */
const audit = (access: TableAccess, operation: string, keyId: string) =>
  recordAuditEvent(access, {
    keyId: 'command',
    operation,
    method: 'COMMAND',
    path: `npm run apikey -- ${operation === 'createApiKey' ? 'create' : 'revoke'}`,
    target: { targetType: 'apiKey', targetId: keyId },
  });

const describe = (key: ApiKeyView) =>
  `${key.prefix}  ${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}  scopes ${key.scopes.join(',')}  ` +
  `"${key.name}"  created ${key.createdAt} by ${key.createdBy}`;

const OPTIONS = {
  scopes: { type: 'string' },
  name: { type: 'string' },
  local: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseArguments(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    // Unknown or malformed options: say what is wrong and show the usage, not a stack trace.
    throw new UsageError((error as Error).message);
  }
}

async function runApiKeyCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const { values, positionals } = parseArguments(argv);
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) throw new UsageError('');
  if (command === 'create') {
    const scopes = parseScopes(values.scopes);
    // The same rule as the API's `createApiKey`.
    const name = headerSafeText({ max: 100 }).safeParse(values.name ?? 'created with npm run apikey');
    if (!name.success) throw new UsageError(`--name ${name.error.issues[0]?.message}`);
    const { access, where } = commandTable(values.local, env);
    const created = await createApiKey(access, { name: name.data, scopes, createdBy: 'command' });
    await audit(access, 'createApiKey', created.keyId);
    print(`Created API key ${created.prefix} (${created.scopes.join(',')}) in ${where}:

  ${created.key}

Store it now (a password manager, a secrets store): it is not shown again, and only its hash is kept.
Use it as: Authorization: Bearer <key>`);
    return;
  }
  if (command === 'list') {
    const { access, where } = commandTable(values.local, env);
    const keys = await listApiKeys(access);
    print(keys.length === 0 ? `No API keys in ${where}.` : keys.map(describe).join('\n'));
    return;
  }
  if (command === 'revoke') {
    const keyId = (rest[0] ?? '').replace(/^cm_/, '');
    if (!isApiKeyId(keyId)) throw new UsageError('revoke needs a key id (or its cm_<keyId> prefix)');
    const { access } = commandTable(values.local, env);
    const revoked = await revokeApiKey(access, keyId);
    await audit(access, 'revokeApiKey', keyId);
    print(`Revoked: ${describe(revoked)}`);
    return;
  }
  throw new UsageError(`Unknown command "${command}".`);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
runApiKeyCommand(process.argv.slice(2), process.env, (line) => console.log(line)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(error.message ? `${error.message}\n\n${USAGE}` : USAGE);
  } else if (error instanceof AppError) {
    console.error(`npm run apikey: ${error.message}`);
  } else if (isMissingTable(error)) {
    console.error(
      'npm run apikey: the table does not exist there (is `npm start` running, is TABLE_NAME right?)',
    );
  } else {
    console.error('npm run apikey failed:', error);
  }
  process.exit(1);
});
