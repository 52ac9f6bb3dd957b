import type { Runtime } from '../../shared/runtime';
import { adminRequest, publicAppFor } from './apps';
import { untilRequestsProcessed } from './stream';

/**
 * What the consent tests do as a person and as the operator would: the public app, the admin API with the
 * development key, and a signup that resolves once the table's stream has processed it. `runtimeOf` is
 * read at each call, so the helpers can be made before `beforeAll` creates the runtime.
 */
export function consentRequests(runtimeOf: () => Runtime) {
  const publicApp = () => publicAppFor(runtimeOf());
  const admin = (path: string, method = 'GET', body?: unknown) =>
    adminRequest(runtimeOf(), path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** A signup; resolves once the table's stream has processed it. */
  const signUp = async (body: Record<string, unknown>) => {
    const response = await publicApp().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await untilRequestsProcessed(runtimeOf());
    return response;
  };
  return { publicApp, admin, signUp };
}

/** The token of the first `<path>?token=…` link in a mail's text. */
export const tokenIn = (text: string | undefined, path: string) =>
  new RegExp(`${path}\\?token=([\\w.-]+)`).exec(text ?? '')?.[1] ?? '';
