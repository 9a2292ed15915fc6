/** Time helpers shared by the routes and the data generator. All times are epoch milliseconds, UTC. */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `2026-11-20T10:01:02` — the audit record `CreationTime` shape: UTC but without a zone suffix. */
export function formatCreationTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** `2026-11-20T10:01:02.123Z` — the blob descriptor `contentCreated` / `contentExpiration` shape. */
export function formatContentTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2026-11-20 10:01:02Z` — the timestamp shape inside Entra ID error bodies. */
export function formatAadTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `20261120100102` — compact stamp used inside opaque identifiers. */
export function compactStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:T]/g, '');
}
