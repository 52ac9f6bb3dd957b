import { describe, expect, it } from 'vitest';
import { CURRENT_TRACKING_WORDING_VERSION, trackingWording } from '../../shared/consent/tracking-wording';

/**
 * The open-tracking wording is recorded by version and hash: a version's words never change, so each
 * version's hash is pinned here. Changing the words means adding a version (and pinning it).
 */
describe('open-tracking wording versions', () => {
  it.each([
    [1, 'en', '2b5fb2b981eb93e18d3ce72d428e892c4d6ee6416a2ac3de3b319faa828e58c1'],
    [1, 'fr', '91d26242b01a7bada181ed505a130570e06730e050bfbc9ccc95f103b74d00ef'],
  ] as const)('version %i in %s keeps its words', (version, locale, sha256) => {
    const wording = trackingWording(locale, 'Example Co', version);
    expect(wording.reference).toEqual({ version, locale, sha256 });
    expect(wording.text).toContain('Example Co');
  });

  it('is current at the newest version, and refuses a version it never had', () => {
    expect(trackingWording('en', 'Example Co').reference.version).toBe(CURRENT_TRACKING_WORDING_VERSION);
    expect(() => trackingWording('en', 'Example Co', 99)).toThrow('The request is not valid');
  });
});
