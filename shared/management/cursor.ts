import type { CursorStore } from '../state/index.ts';

/** Persistence version of the Management cursor; bump it with an upgrade step when the shape changes. */
export const CURSOR_VERSION = 1;

/** Where one content type's collection stands. */
export interface ManagementCursor {
  /** MANAGEMENT_START_TIME when this persistence began (null = the default); a different value resets it. */
  startTime: string | null;
  /** Every blob with `contentCreated` before this instant is done: delivered, lost to expiry, or in the retry list. */
  position: string;
  /** Blobs at or after `position` that are done too (a run that stopped inside a window). */
  doneIds: string[];
  /** When this function last asked to start its subscription (Microsoft allows one start per 15 minutes). */
  lastStartRequest: string | null;
}

export interface LoadedCursor {
  value: ManagementCursor;
  etag: string | undefined;
}

export async function loadCursor(store: CursorStore, functionName: string): Promise<LoadedCursor | undefined> {
  const record = await store.load<ManagementCursor>(functionName, { currentVersion: CURSOR_VERSION });
  return record === undefined ? undefined : { value: record.value, etag: record.etag };
}

/**
 * The cursor after the blobs `done` (sorted by contentCreated) of a window: the position moves to the first blob
 * not done, and the done blobs at or after it are remembered so a resumed run skips them.
 */
export function advanceWithin(
  cursor: ManagementCursor,
  sorted: readonly { contentId: string; contentCreated: string }[],
  doneCount: number,
): ManagementCursor {
  const next = sorted[doneCount];
  if (next === undefined) return cursor;
  const position = new Date(next.contentCreated).toISOString();
  const doneIds = sorted
    .slice(0, doneCount)
    .filter((b) => new Date(b.contentCreated).toISOString() >= position)
    .map((b) => b.contentId);
  const keep = position === cursor.position ? cursor.doneIds : [];
  return { ...cursor, position, doneIds: [...new Set([...keep, ...doneIds])] };
}
