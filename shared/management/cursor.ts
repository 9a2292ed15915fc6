import type { CursorStore, ResettableCursor } from '../state/index.ts';

/** Persistence version of the Management cursor; bump it with an upgrade step when the shape changes. */
export const CURSOR_VERSION = 2;

/** Where one content type's collection stands. */
export interface ManagementCursor extends ResettableCursor {
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
 * One window's blobs (sorted by contentCreated) as they settle, in any order. `cursorFrom` hands out the cursor over
 * them: settled blobs join `recent`, and the position moves to the first blob not settled yet, if any; blobs settled
 * after that one stay in `recent`, so a rerun skips them. Settling is constant time and a cursor is built only when
 * asked for (at a checkpoint): a 24-hour window of a busy tenant holds thousands of blobs, and building the cursor
 * over the whole window at every settled blob made a window quadratic (about a minute of CPU for 5,000 blobs).
 */
export class WindowWalk {
  readonly #sorted: readonly Blob[];
  readonly #done = new Set<string>();
  /** Settled since the last cursor handed out: contentId → contentCreated. */
  readonly #fresh = new Map<string, string>();
  /** The blobs before this index have all settled. */
  #prefix = 0;

  constructor(sorted: readonly Blob[]) {
    this.#sorted = sorted;
  }

  /** How many of the window's blobs have settled. */
  get settled(): number {
    return this.#done.size;
  }

  settle(blob: Blob): void {
    this.#done.add(blob.contentId);
    this.#fresh.set(blob.contentId, new Date(blob.contentCreated).toISOString());
    while (this.#prefix < this.#sorted.length && this.#done.has((this.#sorted[this.#prefix] as Blob).contentId))
      this.#prefix += 1;
  }

  /** Where a cursor taken now would stand: the first blob not settled yet; undefined once all are. */
  get reached(): string | undefined {
    const next = this.#sorted[this.#prefix];
    return next === undefined ? undefined : next.contentCreated;
  }

  /** `cursor` moved over every blob settled so far. */
  cursorFrom(cursor: ManagementCursor, relistMs: number): ManagementCursor {
    const recent = { ...cursor.recent, ...Object.fromEntries(this.#fresh) };
    this.#fresh.clear();
    const next = this.#sorted[this.#prefix];
    const position = next === undefined ? cursor.position : new Date(next.contentCreated).toISOString();
    return advanceTo({ ...cursor, recent }, position, relistMs);
  }
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
