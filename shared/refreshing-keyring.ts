import type { Logger } from './log';
import type { KeyringSource, SigningKeyring } from './signing-keyring';

/**
 * The keyring a function signs and verifies with, read from its source at cold start and again once it
 * is older than the refresh interval: the one piece of configuration that changes without a deploy, so
 * keys can be added, made active and retired while functions stay warm. A refresh that fails (source
 * unreachable, a secret edited into something invalid) is logged and changes nothing: the last good
 * keyring stays in use and the next request tries again a little later.
 *
 * It is itself a `SigningKeyring` whose fields always show the latest good keyring, so a token signer
 * built once at cold start (`createTokenSigner(config.signingKeys)`) follows every rotation.
 */

export const KEYRING_REFRESH_INTERVAL_MS = 5 * 60_000;
/** After a failed refresh: soon enough to pick up a fix, rare enough not to hammer a failing source. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** The most a request waits for a refresh; a slower one finishes in the background. */
const MAX_WAIT_MS = 500;

export interface RefreshingKeyringOptions {
  logger: Logger;
  /** Omitted for a source that never changes (the configuration's keys). */
  refreshIntervalMs?: number;
  now?: () => number;
  /**
   * The most a request waits for a due refresh (default MAX_WAIT_MS; Infinity: until it is done). Tests
   * that check the very next request uses the new keys wait it out: on a starved CI machine the source's
   * answer can take longer than half a second, which is a deployment's trade-off, not the behaviour tested.
   */
  maxWaitMs?: number;
}

export class RefreshingKeyring implements SigningKeyring {
  #current: SigningKeyring;
  #nextRefreshAt: number;
  #inFlight: Promise<void> | undefined;

  private constructor(
    private readonly source: KeyringSource,
    initial: SigningKeyring,
    private readonly options: RefreshingKeyringOptions,
  ) {
    this.#current = initial;
    this.#nextRefreshAt = this.now() + (options.refreshIntervalMs ?? Number.POSITIVE_INFINITY);
  }

  /** Cold start: without a valid keyring the function must not start, so a failure here throws. */
  static async load(source: KeyringSource, options: RefreshingKeyringOptions): Promise<RefreshingKeyring> {
    return new RefreshingKeyring(source, await source.load(), options);
  }

  /** A keyring that is already known (the configuration's keys): available without waiting. */
  static fixed(source: KeyringSource, keyring: SigningKeyring, logger: Logger): RefreshingKeyring {
    return new RefreshingKeyring(source, keyring, { logger });
  }

  get activeKeyId(): string {
    return this.#current.activeKeyId;
  }

  get keys(): ReadonlyMap<string, Buffer> {
    return this.#current.keys;
  }

  /**
   * Called as each invocation starts: refreshes when due, waiting at most half a second, so a request
   * after the interval already uses the new keys while a hung source delays nobody for long.
   */
  async refreshIfDue(): Promise<void> {
    if (this.#inFlight === undefined && this.now() < this.#nextRefreshAt) return;
    this.#inFlight ??= this.refresh().finally(() => {
      this.#inFlight = undefined;
    });
    const maxWaitMs = this.options.maxWaitMs ?? MAX_WAIT_MS;
    if (maxWaitMs === Number.POSITIVE_INFINITY) return this.#inFlight;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxWaitMs);
    });
    await Promise.race([this.#inFlight, deadline]);
    clearTimeout(timer);
  }

  /** Reads the source now; on failure keeps the last good keyring and logs why (never a key). */
  async refresh(): Promise<void> {
    const interval = this.options.refreshIntervalMs ?? Number.POSITIVE_INFINITY;
    try {
      const next = await this.source.load();
      this.#nextRefreshAt = this.now() + interval;
      if (fingerprint(next) !== fingerprint(this.#current)) {
        this.options.logger.info('signing keyring changed', {
          source: this.source.description,
          ...summary(next),
        });
      }
      this.#current = next;
    } catch (error) {
      this.#nextRefreshAt = this.now() + Math.min(interval, RETRY_AFTER_FAILURE_MS);
      this.options.logger.warn('signing keyring could not be refreshed; the last good keyring stays in use', {
        source: this.source.description,
        ...summary(this.#current),
        error,
      });
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** Key ids only: what a log may say about a keyring. */
function summary(keyring: SigningKeyring) {
  return { activeKeyId: keyring.activeKeyId, keyIds: [...keyring.keys.keys()] };
}

/** Equal for keyrings with the same active id and the same keys; compared in memory, never logged. */
function fingerprint(keyring: SigningKeyring): string {
  const keys = [...keyring.keys].map(([id, key]) => `${id}:${key.toString('base64')}`).sort();
  return `${keyring.activeKeyId}|${keys.join(',')}`;
}

/**
 * Wraps a Lambda handler so that each invocation starts by refreshing the keyring when it is due. Timers
 * do not run while Lambda freezes an environment between invocations, so the refresh rides on them.
 */
export function withFreshSigningKeys<Args extends unknown[], Result>(
  keyring: Pick<RefreshingKeyring, 'refreshIfDue'>,
  handler: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    await keyring.refreshIfDue();
    return handler(...args);
  };
}
