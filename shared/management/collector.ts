import type { ManagementConfig } from '../config/index.ts';
import { maskIdentifier } from '../config/index.ts';
import { Outbox, spillingSink, type EventSink } from '../devo/outbox.ts';
import {
  loadFilter,
  saveFilter,
  type BlobStore,
  type CursorStore,
  type PersistedFilter,
  type RetryEntry,
  type RetryList,
} from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createObfuscator } from '../telemetry/obfuscate.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { isManagementApiError, type ContentBlob, type ManagementClient } from './client.ts';
import type { ManagementFunction } from './content-types.ts';
import { advanceTo, advanceWithin, CURSOR_VERSION, loadCursor, type ManagementCursor } from './cursor.ts';
import { forEachConcurrently } from './pool.ts';
import { createRecordSink, isRecordRejected } from './records.ts';

type RecordSink = (raw: string) => Promise<void>;
import { ensureSubscription } from './subscriptions.ts';
import { HOUR_MS, earliestStart, initialPosition, nextWindow, type ListingWindow } from './windows.ts';

export interface ManagementRun {
  fn: ManagementFunction;
  config: ManagementConfig;
  client: ManagementClient;
  sink: EventSink;
  cursors: CursorStore;
  blobs: BlobStore;
  retries: RetryList;
  logger: Logger;
  stats: RunStatistics;
  /** No new window or batch starts after this instant (ms since epoch); progress is saved before returning. */
  deadline: number;
  now?: () => Date;
  /** Checkpoint when this many characters of events are waiting (default 8 MB). */
  checkpointBytes?: number;
  /** ...or when this long has passed since the last checkpoint (default 60 s). */
  checkpointIntervalMs?: number;
}

export const filterBlobName = (functionName: string): string => `${functionName}.bloom`;

/** A relist span never widens a window by more than this, so a listing stays under the API's 24 hours. */
const RELIST_CAP_MS = 12 * HOUR_MS;

/** Default amount of waiting events (characters) that triggers a checkpoint. */
export const CHECKPOINT_BYTES = 8_000_000;

/**
 * One invocation of a Management function: load state → subscription → list → fetch → dedupe → send → flush →
 * checkpoint, window after window until caught up or out of time. The cursor only moves after the events it covers
 * were confirmed by Devo, so an invocation killed at any line resumes with nothing missing.
 */
export async function collectManagement(run: ManagementRun): Promise<void> {
  const now = run.now ?? (() => new Date());
  const state = await loadState(run, now());
  if (!(await ensureSubscription(run, state, now()))) {
    await saveCursor(run, state);
    return;
  }
  const outbox = new Outbox();
  const obfuscate =
    run.config.obfuscation === undefined
      ? undefined
      : createObfuscator(run.config.obfuscation.fields, run.config.obfuscation.key);
  const deliver = async (): Promise<void> => {
    run.stats.eventsSent += await outbox.deliver(run.sink);
    await saveFilter(run.blobs, state.filter);
  };
  const checkpoint = async (): Promise<void> => {
    await deliver();
    // Failed blobs join the retry list only now: uriRetry must find their delivered records in the saved filter.
    for (const failure of state.failures.splice(0)) await run.retries.recordFailure(failure, new Date());
    await saveCursor(run, state);
    state.lastCheckpoint = Date.now();
  };
  const queue = createRecordSink({ filter: state.filter.filter, outbox, stats: run.stats, obfuscate });
  const onRecord = spillingSink(queue, outbox, run.checkpointBytes ?? CHECKPOINT_BYTES, deliver);

  let clamps = 0;
  let first = true;
  for (;;) {
    const window = first ? withRelist(run, state.cursor, now()) : nextWindow(new Date(state.cursor.position), now());
    first = false;
    if (window === undefined || Date.now() >= run.deadline) break;
    if (window.lostSince !== undefined) {
      run.logger.warn(
        `${run.fn.functionName}: content created between ${window.lostSince.toISOString()} and ${window.start.toISOString()} ` +
          'is older than the 7 days the API keeps and was not collected.',
      );
      state.cursor = advanceTo(state.cursor, window.start.toISOString(), run.config.relistMs);
    }
    const listed = await listWindowOrClamp(run, window, state, clamps);
    if (listed === 'clamped') {
      clamps += 1;
      continue;
    }
    clamps = 0;
    if (listed === 'no-subscription') break;
    const pending = listed.filter((b) => state.cursor.recent[b.contentId] === undefined);
    const finished = await processBlobs(run, pending, state, onRecord, outbox, checkpoint);
    if (!finished) break;
    state.cursor = advanceTo(state.cursor, window.end.toISOString(), run.config.relistMs);
    // Empty windows need no checkpoint of their own: a kill only costs listing them again.
    if (checkpointDue(run, state, outbox)) await checkpoint();
  }
  await checkpoint();
}

/**
 * The first window of a run: it reaches back over the relist span (MANAGEMENT_RELIST_SECONDS) for blobs Microsoft
 * listed late, even when the cursor has caught up with now; blobs already done there are skipped by the caller.
 */
function withRelist(run: ManagementRun, cursor: ManagementCursor, now: Date): ListingWindow | undefined {
  const position = new Date(cursor.position);
  const window = nextWindow(position, now);
  if (window?.lostSince !== undefined || run.config.relistMs === 0) return window;
  // Never before MANAGEMENT_START_TIME: content older than the operator asked for stays out.
  const configuredStart = run.config.startTime === undefined ? 0 : Date.parse(run.config.startTime);
  const floor = Math.max(
    earliestStart(now).getTime(),
    position.getTime() - Math.min(run.config.relistMs, RELIST_CAP_MS),
    configuredStart,
  );
  // Rounded down: rounding up would skip what was created in the first fraction of a second.
  const start = new Date(Math.floor(floor / 1000) * 1000);
  const end = window?.end ?? position;
  return start < end ? { start, end } : window;
}

interface RunState {
  cursor: ManagementCursor;
  etag: string | undefined;
  filter: PersistedFilter;
  lastCheckpoint: number;
  /** Blobs that failed after all retries, for the retry list at the next checkpoint. */
  failures: Omit<RetryEntry, 'attempts' | 'firstFailedAt'>[];
}

async function loadState(run: ManagementRun, now: Date): Promise<RunState> {
  const name = run.fn.functionName;
  const stored = await loadCursor(run.cursors, name);
  const startTime = run.config.startTime ?? null;
  if (stored !== undefined && stored.value.startTime !== startTime) {
    run.logger.warn(
      `${name}: MANAGEMENT_START_TIME changed from ${stored.value.startTime ?? '(unset)'} to ${startTime ?? '(unset)'}; ` +
        "resetting this function's persistence (cursor, dedupe filter, retry list).",
    );
    await run.retries.clear(name);
    await run.blobs.remove(filterBlobName(name));
  }
  const filter = await loadFilter(run.blobs, filterBlobName(name), run.config.dedupe, run.logger);
  if (stored !== undefined && stored.value.startTime === startTime) {
    return { cursor: stored.value, etag: stored.etag, filter, lastCheckpoint: Date.now(), failures: [] };
  }
  const position = initialPosition(run.config.startTime, now).toISOString();
  run.logger.info(
    `${name}: starting collection for tenant ${maskIdentifier(run.config.o365.tenantId)} at ${position}.`,
  );
  const cursor: ManagementCursor = {
    startTime,
    position,
    recent: {},
    lastStartRequest: stored?.value.lastStartRequest ?? null,
  };
  return { cursor, etag: stored?.etag, filter, lastCheckpoint: Date.now(), failures: [] };
}

async function saveCursor(run: ManagementRun, state: RunState): Promise<void> {
  state.etag = await run.cursors.save(run.fn.functionName, state.cursor, state.etag, CURSOR_VERSION);
}

/**
 * How far past a rejected window's start the next try begins: the API's real limit is "about 7 days", so each
 * rejection (AF20055/AF20030, e.g. after clock skew) steps further in, and after the last step the run fails
 * instead of looping.
 */
export const CLAMP_STEPS_MS = [HOUR_MS, 4 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS] as const;

/**
 * Lists a window; a window rejected as too old is moved further inside the limit (CLAMP_STEPS_MS), the skipped span
 * logged. A subscription that vanished ends the run; the next one starts it again.
 */
async function listWindowOrClamp(
  run: ManagementRun,
  window: { start: Date; end: Date },
  state: RunState,
  clamps: number,
): Promise<ContentBlob[] | 'clamped' | 'no-subscription'> {
  for (let relists = 0; ; relists += 1) {
    try {
      return await listWindow(run, window.start, window.end);
    } catch (err) {
      if (!isManagementApiError(err)) throw err;
      if (err.action === 'start-subscription') {
        run.logger.warn(`${run.fn.functionName}: ${err.message}; the subscription will be started on the next run.`);
        return 'no-subscription';
      }
      // A stale or refused nextPage (AF20031): the paging broke, not the window. List it again from its first page.
      if (err.apiCode === 'AF20031' && relists < MAX_RELISTS) {
        run.logger.warn(`${run.fn.functionName}: ${err.message}; listing the window again from its first page.`);
        continue;
      }
      return clampRejectedWindow(run, window, state, clamps, err);
    }
  }
}

/** Times one window is listed again after its paging broke, before the run fails. */
const MAX_RELISTS = 2;

/**
 * A window refused as too old (AF20055/AF20030, e.g. after clock skew) moves further inside the 7-day limit by the
 * next CLAMP_STEPS_MS step. Only a window that starts near the limit is treated so, and the new position is never
 * later than now; any other refusal fails the run instead of skipping content.
 */
function clampRejectedWindow(
  run: ManagementRun,
  window: { start: Date; end: Date },
  state: RunState,
  clamps: number,
  err: Error & { action: string },
): 'clamped' {
  const now = new Date();
  const step = CLAMP_STEPS_MS[clamps];
  // Near the limit: within two hours past where the previous clamp put it.
  const reach = (CLAMP_STEPS_MS[clamps - 1] ?? 0) + 2 * HOUR_MS;
  const nearLimit = window.start.getTime() - earliestStart(now).getTime() < reach;
  if (err.action !== 'window-rejected' || step === undefined || !nearLimit) throw err;
  const position = new Date(Math.min(earliestStart(now).getTime() + step, now.getTime()));
  run.logger.warn(
    `${run.fn.functionName}: the API rejected the window starting ${window.start.toISOString()} (${err.message}); ` +
      `content created before ${position.toISOString()} was skipped.`,
  );
  state.cursor = advanceTo(state.cursor, position.toISOString(), run.config.relistMs);
  return 'clamped';
}

/** Every blob of the window, all pages, in `contentCreated` order so progress can be saved as a prefix. */
async function listWindow(run: ManagementRun, start: Date, end: Date): Promise<ContentBlob[]> {
  const blobs: ContentBlob[] = [];
  for await (const page of run.client.listContent(run.fn.contentType, start, end)) {
    blobs.push(...page);
  }
  const seen = new Set<string>();
  return blobs
    .filter((b) => !seen.has(b.contentId) && seen.add(b.contentId))
    .sort(
      (a, b) => Date.parse(a.contentCreated) - Date.parse(b.contentCreated) || a.contentId.localeCompare(b.contentId),
    );
}

/**
 * Fetches the blobs in batches of bounded concurrency; checkpoints between batches when enough is waiting. Returns
 * false when the deadline stopped it before the end (progress up to the last batch is saved).
 */
async function processBlobs(
  run: ManagementRun,
  blobs: readonly ContentBlob[],
  state: RunState,
  onRecord: RecordSink,
  outbox: Outbox,
  checkpoint: () => Promise<void>,
): Promise<boolean> {
  const batchSize = run.config.fetchConcurrency * 4;
  for (let done = 0; done < blobs.length;) {
    if (Date.now() >= run.deadline) return false;
    const batch = blobs.slice(done, done + batchSize);
    await forEachConcurrently(batch, run.config.fetchConcurrency, (blob) => fetchBlob(run, state, blob, onRecord));
    done += batch.length;
    state.cursor = advanceWithin(state.cursor, blobs, done, run.config.relistMs);
    if (done < blobs.length && checkpointDue(run, state, outbox)) await checkpoint();
  }
  return true;
}

/** Enough events are waiting, or enough time passed, to deliver them and save progress. */
function checkpointDue(run: ManagementRun, state: RunState, outbox: Outbox): boolean {
  const interval = run.checkpointIntervalMs ?? 60_000;
  return outbox.bytes >= (run.checkpointBytes ?? CHECKPOINT_BYTES) || Date.now() - state.lastCheckpoint >= interval;
}

/** One blob: skipped as lost when expired, delivered, or put on the retry list so it never blocks the cursor. */
async function fetchBlob(run: ManagementRun, state: RunState, blob: ContentBlob, onRecord: RecordSink): Promise<void> {
  if (Date.parse(blob.contentExpiration) <= Date.now()) {
    lost(run, blob, 'its contentExpiration has passed');
    return;
  }
  try {
    await run.client.fetchContent(blob, onRecord);
    run.stats.blobsFetched += 1;
  } catch (err) {
    const rejected = isRecordRejected(err);
    if (!rejected && (!isManagementApiError(err) || err.action === 'fatal')) throw err;
    if (!rejected && err.action === 'content-gone') {
      lost(run, blob, err.message);
      return;
    }
    run.stats.blobsFailed += 1;
    const message = (err as Error).message;
    run.logger.warn(`${run.fn.functionName}: content ${blob.contentId} failed (${message}); queued for uriRetry.`);
    state.failures.push({ functionName: run.fn.functionName, ...pick(blob), lastError: message });
  }
}

function lost(run: ManagementRun, blob: ContentBlob, why: string): void {
  run.stats.blobsLost += 1;
  run.logger.error(
    `${run.fn.functionName}: content ${blob.contentId} (created ${blob.contentCreated}) is lost: ${why}.`,
  );
}

const pick = (b: ContentBlob) => ({
  contentType: b.contentType,
  contentId: b.contentId,
  contentUri: b.contentUri,
  contentCreated: b.contentCreated,
  contentExpiration: b.contentExpiration,
});
