import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/log';
import { KEYRING_REFRESH_INTERVAL_MS, RefreshingKeyring } from '../../shared/refreshing-keyring';
import type { KeyringSource, SigningKeyring } from '../../shared/signing-keyring';

/**
 * How long a request waits for a due refresh of its keyring, on a clock and timers the test drives (so
 * nothing here depends on the machine's speed): the rotation itself, against a Secrets Manager stand-in,
 * is in test/integration/signing-key-rotation.test.ts.
 */
const keyring = (activeKeyId: string): SigningKeyring => ({
  activeKeyId,
  keys: new Map([[activeKeyId, Buffer.alloc(32, 1)]]),
});

async function keyringAfterTheInterval(load: () => Promise<SigningKeyring>) {
  let clock = 0;
  const answers = [Promise.resolve(keyring('k1'))];
  const source: KeyringSource = { description: 'test', load: () => answers.shift() ?? load() };
  const refreshing = await RefreshingKeyring.load(source, {
    logger: createLogger({ level: 'error', service: 'test', write: () => {} }),
    refreshIntervalMs: KEYRING_REFRESH_INTERVAL_MS,
    now: () => clock,
  });
  clock += KEYRING_REFRESH_INTERVAL_MS + 1;
  return refreshing;
}

describe('a request that finds the keyring due for a refresh', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the new keys when the source answers at once', async () => {
    const refreshing = await keyringAfterTheInterval(async () => keyring('k2'));
    await refreshing.refreshIfDue();
    expect(refreshing.activeKeyId).toBe('k2');
  });

  it('waits at most half a second for a source that does not answer, then goes on with the last keys', async () => {
    vi.useFakeTimers();
    const refreshing = await keyringAfterTheInterval(() => new Promise<SigningKeyring>(() => {}));
    let waited = true;
    void refreshing.refreshIfDue().then(() => {
      waited = false;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(waited).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(waited).toBe(false);
    expect(refreshing.activeKeyId).toBe('k1');
  });
});
