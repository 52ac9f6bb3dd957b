import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { type AuditTarget, type AuditTargetType, recordAuditEvent } from '../audit/audit-events';
import type { TableAccess } from '../table-access';
import type { AppEnv } from './app-env';
import type { Router } from './create-api';

/**
 * Records an audit event after every successful (2xx) admin request that is not a read: the key id, the
 * route's operationId, its method and path template, the target and the time. Nothing else: never the
 * body, the query or any personal data.
 *
 * The operationId comes from the routes the group's router declares (create-api.ts), looked up by the route Hono actually ran, so a
 * new route is audited without any edit here. The target is the route's first id path parameter
 * (`/contacts/{contactId}/…` → `contact`); a create route without one names what it made in its JSON
 * answer (`createList` → `listId`).
 */

const targetOfParam: Record<string, AuditTargetType> = {
  contactId: 'contact',
  campaignId: 'campaign',
  listId: 'list',
  keyId: 'apiKey',
  messageId: 'message',
  rightsRequestId: 'rightsRequest',
  suppressionId: 'suppression',
};
const paramOfCollection: Record<string, string> = {
  contacts: 'contactId',
  campaigns: 'campaignId',
  lists: 'listId',
  'api-keys': 'keyId',
  messages: 'messageId',
  'rights-requests': 'rightsRequestId',
  suppressions: 'suppressionId',
};
/** When the path's collection does not say, the first of these a response carries names the target. */
const responseIdPreference = ['messageId', 'campaignId', 'keyId', 'listId', 'contactId'];
/** Opaque ids and list slugs; anything else (or a `#`, which keys cannot hold) is not recorded as a target. */
const TARGET_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Operation {
  operationId: string;
  /** The OpenAPI path template, `{param}` style. */
  path: string;
}

/** `"POST /admin/v1/lists/:listId"` (Hono's routing path) → the route's operation, from the declared routes. */
export async function operationsOf(router: Router): Promise<Map<string, Operation>> {
  const operations = new Map<string, Operation>();
  for (const { method, path, operationId } of await router.declaredRoutes()) {
    const routingPath = path.replace(/\{([^}]+)\}/g, ':$1');
    operations.set(`${method.toUpperCase()} ${routingPath}`, { operationId: operationId ?? '', path });
  }
  return operations;
}

function targetFromParams(routingPath: string, params: Record<string, string>): AuditTarget | undefined {
  for (const [, name] of routingPath.matchAll(/:([A-Za-z0-9_]+)/g)) {
    const targetType = name === undefined ? undefined : targetOfParam[name];
    const targetId = name === undefined ? undefined : params[name];
    if (targetType !== undefined && targetId !== undefined && TARGET_ID.test(targetId)) {
      return { targetType, targetId };
    }
  }
  return undefined;
}

async function targetFromResponse(response: Response, routingPath: string): Promise<AuditTarget | undefined> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const collection =
    routingPath
      .split('/')
      .filter((segment) => !segment.startsWith(':'))
      .at(-1) ?? '';
  const hinted = paramOfCollection[collection];
  for (const field of hinted === undefined ? responseIdPreference : [hinted, ...responseIdPreference]) {
    const value = (body as Record<string, unknown>)[field];
    const targetType = targetOfParam[field];
    if (typeof value === 'string' && TARGET_ID.test(value) && targetType !== undefined) {
      return { targetType, targetId: value };
    }
  }
  return undefined;
}

/** Mount after `requireApiKey` on `/admin/v1/*`; `operations` is read at the first write (routes exist by then). */
export function auditTrail(
  access: TableAccess,
  operations: () => Promise<Map<string, Operation>>,
): MiddlewareHandler<AppEnv> {
  return async function auditTrailMiddleware(c, next) {
    await next();
    const principal = c.get('principal');
    if (READS.has(c.req.method) || c.res.status < 200 || c.res.status > 299 || principal === undefined)
      return;
    // After `next()` the context points at the handler that answered, so this is its routing path.
    const routingPath = routePath(c);
    const operation = (await operations()).get(`${c.req.method} ${routingPath}`);
    const target =
      targetFromParams(routingPath, c.req.param() as Record<string, string>) ??
      (await targetFromResponse(c.res, routingPath));
    const event = {
      keyId: principal.keyId,
      operation: operation?.operationId || `${c.req.method} ${routingPath}`,
      method: c.req.method,
      path: operation?.path ?? routingPath,
      ...(target === undefined ? {} : { target }),
    };
    try {
      await recordAuditEvent(access, event);
    } catch (error) {
      // The change is made and durable; answering an error now would invite a retry of a done write.
      // A lost audit event is logged loudly instead (an alarm on error logs catches it).
      c.get('logger').error('audit event not recorded', { ...event, error });
    }
  };
}
