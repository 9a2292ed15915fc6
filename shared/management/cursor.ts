import type { CursorStore } from '../state/index.ts';

/** Persistence version of the Management cursor; bump it with an upgrade step when the shape changes. */
export const CURSOR_VERSION = 2;

/** Where one content type's collection stands. */
export interface ManagementCursor {
  /** MANAGEMENT_START_TIME when this persistence began (null = the default); a different value resets it. */
  startTime: string | null;
  /** Every blob with `contentCreated` before this instant is done: delivered, lost to expiry, or in the retry list. */
  position: string;
  /**
   * Blobs done recently (contentId → contentCreated): those listed again in the relist span before `position`, and
   * those after it when a run stopped inside a window. They are skipped, not fetched again.
   */
  recent: Record<string, string>;
  /** When this function last asked to start its subscription (Microsoft allows one start per 15 minutes). */
  lastStartRequest: string | null;
}

/** Version 1 kept only the done blobs after `position`. */
interface ManagementCursorV1 {
  startTime: string | null;
  position: string;
  doneIds: string[];
  lastStartRequest: string | null;
}

export interface LoadedCursor {
  value: ManagementCursor;
  etag: string | undefined;
}

export function upgradeCursor(fromVersion: number, raw: unknown): ManagementCursor {
  if (fromVersion !== 1) throw new Error(`no upgrade from cursor version ${fromVersion}`);
  const v1 = raw as ManagementCursorV1;
  const { doneIds, ...rest } = v1;
  return { ...rest, recent: Object.fromEntries(doneIds.map((id) => [id, v1.position])) };
}

export async function loadCursor(store: CursorStore, functionName: string): Promise<LoadedCursor | undefined> {
  const record = await store.load<ManagementCursor>(functionName, {
    currentVersion: CURSOR_VERSION,
    upgrade: upgradeCursor,
  });
  return record === undefined ? undefined : { value: record.value, etag: record.etag };
}

type Blob = { contentId: string; contentCreated: string };

/**
 * The cursor after the blobs in `done` of a window (sorted by contentCreated) are settled: they join `recent`, and
 * the position moves to the first blob not settled yet, if any. Blobs settled after that one stay in `recent`, so a
 * rerun skips them.
 */
export function advanceWithin(
  cursor: ManagementCursor,
  sorted: readonly Blob[],
  done: ReadonlySet<string>,
  relistMs: number,
): ManagementCursor {
  const recent = { ...cursor.recent };
  for (const b of sorted) if (done.has(b.contentId)) recent[b.contentId] = new Date(b.contentCreated).toISOString();
  const next = sorted.find((b) => !done.has(b.contentId));
  const position = next === undefined ? cursor.position : new Date(next.contentCreated).toISOString();
  return advanceTo({ ...cursor, recent }, position, relistMs);
}

/**
 * Done blobs remembered at most; beyond it the oldest are forgotten, which can only make a blob be fetched again
 * (its records then dropped by the filter), and keeps the cursor well inside a Table entity's size.
 */
export const MAX_RECENT = 2000;

/** Moves the position forward and forgets done blobs older than the relist span before it. */
export function advanceTo(cursor: ManagementCursor, position: string, relistMs: number): ManagementCursor {
  const horizon = new Date(Date.parse(position) - relistMs).toISOString();
  let entries = Object.entries(cursor.recent).filter(([, created]) => created >= horizon);
  if (entries.length > MAX_RECENT) entries = entries.sort(([, a], [, b]) => b.localeCompare(a)).slice(0, MAX_RECENT);
  return { ...cursor, position, recent: Object.fromEntries(entries) };
}
