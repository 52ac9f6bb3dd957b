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

/**
 * The message attribute the pixel's one write checks (record-open.ts): the mode a message accepts opens in,
 * written with the message and removed when its opens must stop (consent-changes.ts on a withdrawal of
 * tracking consent; erasure rewrites the message without it). One equality instead of the five clauses
 * it stands for: tracked, in this mode, with consent (per-person), not erased.
 */
export const OPENABLE_ATTRIBUTE = 'openable';

/**
 * What `openable` a message is recorded with: its pixel's mode, or none for a message without a pixel or
 * a per-person one whose recipient had not allowed tracking. Messages from before modes are per-person.
 */
export function openableAs(message: {
  tracked: boolean;
  trackingMode?: PixelMode | undefined;
  trackingConsent: boolean;
}): PixelMode | undefined {
  if (!message.tracked) return undefined;
  const mode = message.trackingMode ?? 'per-person';
  return mode === 'aggregate' || message.trackingConsent ? mode : undefined;
}

/** `openable` as a message item's attribute, or nothing when the message accepts no open. */
export function openableField(message: Parameters<typeof openableAs>[0]): { openable?: PixelMode } {
  const mode = openableAs(message);
  return mode === undefined ? {} : { [OPENABLE_ATTRIBUTE]: mode };
}
