/**
 * How a list measures opens (docs/tracking.md, "Tracking modes"; CNIL deliberation 2026-042, EDPB
 * guidelines 2/2023):
 *
 * - `per-person`: a pixel only for recipients who allowed tracking, and their opens recorded on each
 *   message (counts, times, kinds);
 * - `aggregate`: a pixel for everyone on the list, but no per-person open record: only anonymous campaign
 *   counts (human and machine) and, per contact, the date (not the time) of the latest open, overwritten;
 * - `off`: no pixel.
 *
 * In a module of its own, without dependencies, so that configuration, lists and the policy share it.
 */
export const trackingModes = ['per-person', 'aggregate', 'off'] as const;
export type TrackingMode = (typeof trackingModes)[number];

/** The modes that place a pixel, as recorded on a message (`trackingMode`). */
export type PixelMode = Exclude<TrackingMode, 'off'>;

export function isTrackingMode(value: unknown): value is TrackingMode {
  return typeof value === 'string' && (trackingModes as readonly string[]).includes(value);
}

/**
 * The mode of a stored list. Lists made before modes existed carry `trackingAllowedByDefault`: `true` was
 * today's `per-person`, `false` placed no pixel.
 */
export function storedTrackingMode(item: {
  trackingMode?: unknown;
  trackingAllowedByDefault?: unknown;
}): TrackingMode {
  if (isTrackingMode(item.trackingMode)) return item.trackingMode;
  return item.trackingAllowedByDefault === true ? 'per-person' : 'off';
}
