/**
 * Listing windows. The API filters on `contentCreated` with an inclusive start and an exclusive end, serves at most
 * 24 hours per call and nothing older than 7 days, so a cursor walks forward in windows clamped to those limits.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Content is available for 7 days. */
export const RETENTION_MS = 7 * DAY_MS;
/** Start this far inside the 7-day limit, so the request is still valid by the time it reaches Microsoft. */
export const START_MARGIN_MS = 15 * 60_000;
/**
 * The API's widest window, so a 7-day catch-up takes 7 listings (plus pages) per content type instead of 169 against
 * the tenant's quota of about 2,000 requests a minute. Progress is still saved inside a window, blob by blob.
 */
export const WINDOW_MS = DAY_MS;

export interface ListingWindow {
  start: Date;
  end: Date;
  /** Set when the cursor was older than the API serves: the span [from, start) could not be collected. */
  lostSince?: Date;
}

/** The oldest start the API accepts now, with margin. */
export function earliestStart(now: Date): Date {
  return new Date(now.getTime() - RETENTION_MS + START_MARGIN_MS);
}

/** The next window from `position`, or undefined when the cursor has caught up with the live edge. */
export function nextWindow(position: Date, now: Date, windowMs = WINDOW_MS): ListingWindow | undefined {
  const oldest = earliestStart(now);
  const start = position < oldest ? oldest : position;
  const liveEdge = now.getTime();
  const end = new Date(Math.min(start.getTime() + windowMs, liveEdge));
  // Whole seconds: the API's time format has no fractions, and a window must not overlap the one before it.
  end.setUTCMilliseconds(0);
  if (end.getTime() <= start.getTime()) return undefined;
  // A cursor a moment behind the limit (the first run's start, computed a few milliseconds earlier) lost nothing.
  return oldest.getTime() - position.getTime() >= 1000 ? { start, end, lostSince: position } : { start, end };
}

/** The first start for a function without a cursor: MANAGEMENT_START_TIME, or as far back as the API allows. */
export function initialPosition(startTime: string | undefined, now: Date): Date {
  const oldest = earliestStart(now);
  if (startTime === undefined) return oldest;
  const configured = new Date(startTime);
  return configured < oldest ? oldest : configured;
}
