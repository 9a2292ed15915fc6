import type { MessageTraceConfig } from '../config/index.ts';
import { DeliveryPipeline, type EventSink, type Progress, type ProgressSaved } from '../pipeline/index.ts';
import {
  loadFilter,
  removeFilter,
  resetDecision,
  type ResettableCursor,
  type BlobStore,
  type CursorStore,
} from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { watchProgress, type ProgressOptions } from '../telemetry/progress.ts';
import { checkpointTrace } from '../telemetry/traces.ts';
import { isMessageTraceApiError, type TraceRow, type TraceSource } from './client.ts';
import { toLegacyRow, traceKey } from './mapping.ts';
import { MESSAGE_TRACE_FUNCTION } from '../function-names.ts';

export { MESSAGE_TRACE_FUNCTION };
export const MESSAGE_TRACE_TAG = 'cloud.office365.messagetracing';
export const CURSOR_VERSION = 1;
const DAY_MS = 86_400_000;
/** Graph serves 90 days back and 10 days per request; windows of one day keep checkpoints frequent. */
export const GRAPH_RETENTION_MS = 90 * DAY_MS;
export const WINDOW_MS = DAY_MS;
/** The smallest window a busy tenant shrinks to. */
export const MIN_WINDOW_MS = 5 * 60_000;

/** Where message trace collection stands: every row received before `position` (minus the delay) was delivered. */
export interface MessageTraceCursor extends ResettableCursor {
  /** MESSAGE_TRACE_RESET when this persistence began; a different value starts over. */
  reset: string | null;
  position: string;
  /** Window length in use; shrinks when a window did not fit in one run (absent = one day). */
  windowMs?: number;
}

export interface MessageTraceRun {
  config: MessageTraceConfig;
  source: TraceSource;
  sink: EventSink;
  cursors: CursorStore;
  blobs: BlobStore;
  logger: Logger;
  stats: RunStatistics;
  deadline: number;
  /** Aborts when the function's lease is lost: nothing more is written. */
  signal?: AbortSignal;
  now?: () => Date;
  /** How a run that is behind reports its progress (the line every 15 s, and the gauges). */
  progress?: ProgressOptions;
}

/** The oldest start the settings and the API allow now. */
export function oldestStart(config: MessageTraceConfig, now: Date): Date {
  const configured = now.getTime() - config.daysBack * DAY_MS + config.marginMs;
  const apiLimit = config.api === 'graph' ? now.getTime() - GRAPH_RETENTION_MS + config.marginMs : configured;
  return new Date(Math.max(configured, apiLimit));
}

/**
 * One invocation of `messageTrace`: load state → windows of up to a day from the cursor to now − delay → every page
 * of a window → dedupe on (trace, recipient, status) → deliver → confirm → checkpoint. The cursor moves only after a
 * window's rows were all confirmed by Devo; a run that stops inside a window reads it again and the filter drops the
 * overlap. A page that still fails after its retries stops the run quietly; the next run reads that window again.
 */
export async function collectMessageTrace(run: MessageTraceRun): Promise<void> {
  const now = run.now ?? (() => new Date());
  const { config, logger } = run;
  const state = await loadState(run, now());
  const pipeline = new DeliveryPipeline({
    sink: run.sink,
    blobs: run.blobs,
    filter: await loadFilter(run.blobs, `${MESSAGE_TRACE_FUNCTION}.bloom`, config.dedupe, logger),
    stats: run.stats,
    ...(run.signal === undefined ? {} : { signal: run.signal }),
    onCheckpoint: (saved) => logger.debug(checkpointTrace(MESSAGE_TRACE_FUNCTION, saved)),
  });
  const progress: Progress = () => {
    const cursor = state.cursor;
    return async (): Promise<ProgressSaved> => {
      state.etag = await run.cursors.save(MESSAGE_TRACE_FUNCTION, cursor, state.etag, CURSOR_VERSION);
      return { bytes: Buffer.byteLength(JSON.stringify(cursor)), position: cursor.position };
    };
  };

  const watch = watchProgress({
    functionName: MESSAGE_TRACE_FUNCTION,
    logger: run.logger,
    stats: run.stats,
    position: () => state.cursor.position,
    ...run.progress,
  });
  try {
    await pipeline.run(async () => {
      for (;;) {
        const at = now();
        const oldest = oldestStart(config, at);
        let start = new Date(state.cursor.position);
        // A cursor a moment behind the limit (the first run's start, computed milliseconds earlier) lost nothing.
        if (oldest.getTime() - start.getTime() >= 1000) {
          logger.warn(
            `${MESSAGE_TRACE_FUNCTION}: rows received between ${start.toISOString()} and ${oldest.toISOString()} are older than the API serves (or MESSAGE_TRACE_DAYS_BACK allows) and were not collected.`,
          );
        }
        if (start < oldest) start = oldest;
        const liveEdge = new Date(Math.floor((at.getTime() - config.delayMs) / 1000) * 1000);
        if (start >= liveEdge || Date.now() >= run.deadline) return;
        const windowMs = state.cursor.windowMs ?? WINDOW_MS;
        const end = new Date(Math.min(start.getTime() + windowMs, liveEdge.getTime()));
        const read = await readWindow(run, pipeline, start, end);
        if (read === 'failed') return;
        if (read === 'out-of-time') {
          // Rows come newest first, so part of a window is no position to save. Read it again next run, in smaller
          // windows so one fits a run; the saved filter drops what was already delivered.
          const smaller = Math.max(MIN_WINDOW_MS, Math.floor(windowMs / 4));
          logger.warn(
            `${MESSAGE_TRACE_FUNCTION}: the window from ${start.toISOString()} did not fit in this run; the next runs read windows of ${Math.round(smaller / 60_000)} minutes.`,
          );
          state.cursor = { ...state.cursor, windowMs: smaller };
          return;
        }
        // A window that fitted: let the next one grow back towards a day.
        state.cursor = { ...state.cursor, position: end.toISOString(), windowMs: Math.min(WINDOW_MS, windowMs * 2) };
        await pipeline.checkpoint(progress);
      }
    }, progress);
  } finally {
    watch.stop();
  }
}

/** Every page of one window into the pipeline. */
async function readWindow(
  run: MessageTraceRun,
  pipeline: DeliveryPipeline,
  start: Date,
  end: Date,
): Promise<'done' | 'out-of-time' | 'failed'> {
  const { config } = run;
  let index = 0;
  const onRow = pipeline.intake((row: TraceRow): void => {
    run.stats.eventsReceived += 1;
    // The message is built before the row is marked as seen, so a row is in the filter only once it is queued.
    const message =
      config.api === 'graph' && config.outputFormat === 'legacy'
        ? toLegacyRow(row, { organization: config.organization, start, end, index })
        : row;
    const text = JSON.stringify(message);
    if (!pipeline.filter.addIfNew(traceKey(row))) {
      run.stats.duplicates += 1;
      return;
    }
    index += 1;
    pipeline.add(MESSAGE_TRACE_TAG, text, eventTime(row));
  });
  try {
    for await (const { rows, more } of run.source.listWindow(start, end)) {
      for (const row of rows) await onRow(row);
      if (more && Date.now() >= run.deadline) return 'out-of-time';
    }
    return 'done';
  } catch (err) {
    if (!isMessageTraceApiError(err) || !err.transient) throw err;
    run.logger.warn(
      `${MESSAGE_TRACE_FUNCTION}: reading the window from ${start.toISOString()} failed (${err.message}); the next run reads it again.`,
    );
    run.stats.stoppedEarly = true;
    return 'failed';
  }
}

async function loadState(
  run: MessageTraceRun,
  now: Date,
): Promise<{ cursor: MessageTraceCursor; etag: string | undefined }> {
  const stored = await run.cursors.load<MessageTraceCursor>(MESSAGE_TRACE_FUNCTION, { currentVersion: CURSOR_VERSION });
  const reset = run.config.reset ?? null;
  if (stored !== undefined) {
    const decision = resetDecision(stored.value, stored.value.reset, reset);
    if (!decision.reset) {
      if (decision.noteRemoval) {
        run.logger.info(
          `${MESSAGE_TRACE_FUNCTION}: MESSAGE_TRACE_RESET was removed; the cursor is kept and collection goes on from it (only a new, non-empty value resets its persistence).`,
        );
      }
      return { cursor: decision.cursor, etag: stored.etag };
    }
    run.logger.warn(
      `${MESSAGE_TRACE_FUNCTION}: MESSAGE_TRACE_RESET changed from ${stored.value.reset ?? '(unset)'} to ${reset}; clearing its persistence (cursor and dedupe filter) and starting over.`,
    );
    await removeFilter(run.blobs, `${MESSAGE_TRACE_FUNCTION}.bloom`);
  }
  const position = oldestStart(run.config, now).toISOString();
  run.logger.info(`${MESSAGE_TRACE_FUNCTION}: starting collection over ${run.config.api} at ${position}.`);
  return { cursor: { reset, position }, etag: stored?.etag };
}

/** A row's receive time (ms) for delivery lag: Graph ISO, RWS light ISO without Z, RWS verbose /Date(ms)/. */
function eventTime(row: TraceRow): number | undefined {
  const value = row.receivedDateTime ?? row.Received;
  if (typeof value !== 'string') return undefined;
  const ms = /^\/Date\((\d+)\)\/$/.exec(value)?.[1];
  const time = ms !== undefined ? Number(ms) : Date.parse(/Z|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(time) ? undefined : time;
}
