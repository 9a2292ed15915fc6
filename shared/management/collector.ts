import type { ManagementConfig } from '../config/index.ts';
import { maskIdentifier } from '../config/index.ts';
import { DeliveryPipeline, type EventSink, type Progress, type ProgressSaved } from '../pipeline/index.ts';
import {
  loadFilter,
  removeFilter,
  resetDecision,
  type BlobStore,
  type CursorStore,
  type RetryList,
} from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createObfuscator } from '../telemetry/obfuscate.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { watchProgress, type ProgressOptions } from '../telemetry/progress.ts';
import { isManagementApiError, type ContentBlob, type ManagementClient } from './client.ts';
import type { ManagementFunction } from './content-types.ts';
import { advanceTo, CURSOR_VERSION, loadCursor, WindowWalk, type ManagementCursor } from './cursor.ts';
import { listWindowOrClamp, withRelist } from './listing.ts';
import { createRecordSink } from './records.ts';
import { ensureSubscription } from './subscriptions.ts';
import { countRecords, fetchBlob } from './triage.ts';
import { blobTrace, checkpointTrace } from '../telemetry/traces.ts';
import { initialPosition, nextWindow } from './windows.ts';

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
  /** No new window or blob starts after this instant (ms since epoch); progress is saved before returning. */
  deadline: number;
  /** Aborts when the function's lease is lost: nothing more is written. */
  signal?: AbortSignal;
  now?: () => Date;
  /** How a run that is behind reports its progress (the line every 15 s, and the gauges). */
  progress?: ProgressOptions;
  /** Deliver and save the filter when this many bytes of events are waiting (default 8 MB, SPILL_BYTES). */
  checkpointBytes?: number;
  /** Checkpoint (cursor included) when this long has passed since the last one (default 60 s). */
  checkpointIntervalMs?: number;
}

export const filterBlobName = (functionName: string): string => `${functionName}.bloom`;

interface RunState {
  /** Where the window being fetched has got to (its first blob not settled), for progress reports. */
  reached?: string | undefined;
  cursor: ManagementCursor;
  etag: string | undefined;
  lastCheckpoint: number;
  /** Blobs that failed after all retries, for the retry list at the next checkpoint. */
  failures: (ContentBlob & { lastError: string })[];
}

/**
 * One invocation of a Management function: load state → subscription → list → fetch → dedupe → send → confirm →
 * checkpoint, window after window until caught up or out of time. The cursor only moves after the events it covers
 * were confirmed by Devo, so an invocation killed at any line resumes with nothing missing. A blob that fails goes to
 * the retry list and the run goes on; a failure of the whole tenant stops the run after saving what it finished.
 */
export async function collectManagement(run: ManagementRun): Promise<void> {
  const now = run.now ?? (() => new Date());
  const state = await loadState(run, now());
  const pipeline = new DeliveryPipeline({
    sink: run.sink,
    blobs: run.blobs,
    filter: await loadFilter(run.blobs, filterBlobName(run.fn.functionName), run.config.dedupe, run.logger),
    stats: run.stats,
    ...(run.checkpointBytes === undefined ? {} : { spillBytes: run.checkpointBytes }),
    ...(run.signal === undefined ? {} : { signal: run.signal }),
    onCheckpoint: (saved) => run.logger.debug(checkpointTrace(run.fn.functionName, saved)),
  });
  const progress: Progress = () => {
    // Taken when the checkpoint is: the cursor covers only blobs whose records are all in this delivery or earlier.
    const cursor = state.cursor;
    const failures = state.failures.splice(0);
    return async (): Promise<ProgressSaved> => {
      // Failed blobs join the retry list only now: uriRetry must find their delivered records in the saved filter.
      for (const failure of failures) {
        await run.retries.recordFailure({ functionName: run.fn.functionName, ...failure }, new Date());
      }
      state.etag = await run.cursors.save(run.fn.functionName, cursor, state.etag, CURSOR_VERSION);
      return { bytes: Buffer.byteLength(JSON.stringify(cursor)), position: cursor.position };
    };
  };
  const checkpoint = async (): Promise<void> => {
    state.lastCheckpoint = Date.now();
    await pipeline.checkpoint(progress);
  };
  const queue = createRecordSink({
    filter: pipeline.filter,
    pipeline,
    stats: run.stats,
    obfuscate:
      run.config.obfuscation === undefined
        ? undefined
        : createObfuscator(run.config.obfuscation.fields, run.config.obfuscation.key),
  });
  const onRecord = pipeline.intake(queue);

  const watch = watchProgress({
    functionName: run.fn.functionName,
    logger: run.logger,
    stats: run.stats,
    // Inside a window the cursor moves only at checkpoints; the blobs settled tell how far the run really got.
    position: () => later(state.reached, state.cursor.position),
    ...run.progress,
  });
  try {
    await pipeline.run(async () => {
      if (!(await stopsOnTransient(run, 'checking the subscription', () => ensureSubscription(run, state, now()))))
        return;
      let clamps = 0;
      // Listing stops at the instant the run began: what was created while it ran is the next run's (a catch-up
      // would otherwise end on one more listing call, for a window as short as the run itself took).
      const until = now();
      for (let first = true; ; first = false) {
        const window = first
          ? withRelist(run, state.cursor, until)
          : nextWindow(new Date(state.cursor.position), until);
        if (window === undefined || Date.now() >= run.deadline) return;
        if (window.lostSince !== undefined) {
          run.logger.warn(
            `${run.fn.functionName}: content created between ${window.lostSince.toISOString()} and ${window.start.toISOString()} ` +
              'is older than the 7 days the API keeps and was not collected.',
          );
          state.cursor = advanceTo(state.cursor, window.start.toISOString(), run.config.relistMs);
        }
        const listed = await stopsOnTransient(run, 'listing content', () =>
          listWindowOrClamp(run, window, state, clamps),
        );
        if (listed === false) return;
        if (listed === 'clamped') {
          clamps += 1;
          continue;
        }
        clamps = 0;
        for (const broken of listed.broken) failBlob(run, state, broken, 'it cannot be fetched as listed');
        const pending = listed.blobs.filter((b) => state.cursor.recent[b.contentId] === undefined);
        if (!(await processBlobs(run, pending, state, onRecord, pipeline, checkpoint))) return;
        state.cursor = advanceTo(state.cursor, window.end.toISOString(), run.config.relistMs);
        // Empty windows need no checkpoint of their own: a kill only costs listing them again.
        if (checkpointDue(run, state, pipeline)) await checkpoint();
      }
    }, progress);
  } finally {
    watch.stop();
  }
}

/**
 * Runs an API step whose failure concerns the whole function. A transient failure left after all retries (or the
 * end of the time budget) stops the run quietly: it keeps what it finished and the next run starts here again. A
 * missing subscription does the same (the next run starts it); anything else stops the run with an error.
 */
async function stopsOnTransient<T>(run: ManagementRun, what: string, step: () => Promise<T>): Promise<T | false> {
  try {
    return await step();
  } catch (err) {
    if (!isManagementApiError(err)) throw err;
    if (err.action === 'start-subscription') {
      run.logger.warn(`${run.fn.functionName}: ${err.message}; the subscription will be started on the next run.`);
      return false;
    }
    if (err.action !== 'retry' && err.action !== 'deadline') throw err;
    run.logger.warn(`${run.fn.functionName}: ${what} failed (${err.message}); the next run goes on from here.`);
    run.stats.stoppedEarly = true;
    return false;
  }
}

/**
 * Fetches blobs, `MANAGEMENT_FETCH_CONCURRENCY` at a time. Each one that settles (done, on the retry list, lost)
 * moves the cursor over it; a checkpoint runs whenever one is due. Returns false when the deadline stopped it first.
 */
async function processBlobs(
  run: ManagementRun,
  blobs: readonly ContentBlob[],
  state: RunState,
  onRecord: (raw: Buffer) => boolean | Promise<boolean>,
  pipeline: DeliveryPipeline,
  checkpoint: () => Promise<void>,
): Promise<boolean> {
  const walk = new WindowWalk(blobs);
  let next = 0;
  let stop: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (stop === undefined && next < blobs.length && Date.now() < run.deadline) {
      const blob = blobs[next++] as ContentBlob;
      const counted = countRecords(blob.contentId, onRecord);
      const outcome = await fetchBlob(run.client, blob, counted.onRecord, pipeline);
      if (outcome.kind === 'stop') stop ??= { error: outcome.error };
      if (outcome.kind === 'stop' || outcome.kind === 'unfinished') continue;
      if (outcome.kind === 'done') {
        run.stats.blobsFetched += 1;
        run.logger.debug(blobTrace(run.fn.functionName, counted.counts));
      }
      if (outcome.kind === 'lost') lost(run, blob, outcome.why);
      if (outcome.kind === 'retry-list') failBlob(run, state, blob, outcome.error);
      walk.settle(blob);
      state.reached = walk.reached;
      if (checkpointDue(run, state, pipeline)) {
        state.cursor = walk.cursorFrom(state.cursor, run.config.relistMs);
        await checkpoint();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(run.config.fetchConcurrency, blobs.length) }, worker));
  } finally {
    // Whatever stopped the walk, the run's last checkpoint saves every blob settled.
    state.cursor = walk.cursorFrom(state.cursor, run.config.relistMs);
  }
  if (stop !== undefined) throw stop.error;
  return walk.settled === blobs.length;
}

/** Enough time passed since the last checkpoint to save progress (the pipeline spills by size on its own). */
function checkpointDue(run: ManagementRun, state: RunState, pipeline: DeliveryPipeline): boolean {
  const interval = run.checkpointIntervalMs ?? 60_000;
  return pipeline.pendingBytes >= (run.checkpointBytes ?? Infinity) || Date.now() - state.lastCheckpoint >= interval;
}

function failBlob(run: ManagementRun, state: RunState, blob: ContentBlob, error: string): void {
  run.stats.blobsFailed += 1;
  run.logger.warn(`${run.fn.functionName}: content ${blob.contentId} failed (${error}); queued for uriRetry.`);
  state.failures.push({ ...pick(blob), lastError: error });
}

function lost(run: ManagementRun, blob: ContentBlob, why: string): void {
  run.stats.blobsLost += 1;
  run.logger.error(
    `${run.fn.functionName}: content ${blob.contentId} (created ${blob.contentCreated}) is lost: ${why}.`,
  );
}

const pick = (b: ContentBlob): ContentBlob => ({
  contentType: b.contentType,
  contentId: b.contentId,
  contentUri: b.contentUri,
  contentCreated: b.contentCreated,
  contentExpiration: b.contentExpiration,
});

async function loadState(run: ManagementRun, now: Date): Promise<RunState> {
  const name = run.fn.functionName;
  const stored = await loadCursor(run.cursors, name);
  const startTime = run.config.startTime ?? null;
  if (stored !== undefined) {
    const decision = resetDecision(stored.value, stored.value.startTime, startTime);
    if (!decision.reset) {
      if (decision.noteRemoval) {
        run.logger.info(
          `${name}: MANAGEMENT_START_TIME was removed; the cursor is kept and collection goes on from it ` +
            "(only a new, non-empty value resets this function's persistence).",
        );
      }
      return { cursor: decision.cursor, etag: stored.etag, lastCheckpoint: Date.now(), failures: [] };
    }
    run.logger.warn(
      `${name}: MANAGEMENT_START_TIME changed from ${stored.value.startTime ?? '(unset)'} to ${startTime}; ` +
        "resetting this function's persistence (cursor, dedupe filter, retry list).",
    );
    await run.retries.clear(name);
    await removeFilter(run.blobs, filterBlobName(name));
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
  return { cursor, etag: stored?.etag, lastCheckpoint: Date.now(), failures: [] };
}

/** The later of two ISO times (either may be missing). */
function later(a: string | undefined, b: string): string {
  return a !== undefined && Date.parse(a) > Date.parse(b) ? a : b;
}
