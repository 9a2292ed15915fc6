import type { CommonConfig, Env } from './config/index.ts';
import { DevoSender } from './devo/index.ts';
import {
  acquireFunctionLock,
  createCursorStore,
  loadDeliveryMark,
  openStateClients,
  type DeliveryMark,
  type StateClients,
} from './state/index.ts';
import type { Logger } from './telemetry/logger.ts';
import { processTelemetry, type Telemetry } from './telemetry/metrics.ts';
import type { ProgressOptions } from './telemetry/progress.ts';
import { emptyStatistics, summaryLine, type RunStatistics } from './telemetry/statistics.ts';
import type { AttemptEvent, HttpBudget, RetryEvent } from './http/index.ts';
import { devoTrace, maskedUrl, requestTrace } from './telemetry/traces.ts';

export interface InvocationOptions {
  /** When the invocation started (ms since epoch); the time budget counts from here. */
  startedAt?: number;
  /** Where metrics go; default the process's pipeline (Application Insights when configured, else nothing). */
  telemetry?: Telemetry;
  /** How often a run that is behind reports its progress (default every 15 s). */
  progressIntervalMs?: number;
}

/** What every collector run gets: statistics, a Devo sender, state storage and its time budget. */
export interface InvocationContext {
  stats: RunStatistics;
  sender: DevoSender;
  state: StateClients;
  /** No new work starts after this instant (ms since epoch). */
  deadline: number;
  /** For API clients: no retry past `deadline`, and requests in flight aborted at the hard deadline. */
  budget: HttpBudget;
  /** Aborts when this invocation lost the function's lock: it must stop writing. */
  signal: AbortSignal;
  /** Hooks for the API client: count requests, retries and throttles, and log retries. */
  onRequest: () => void;
  onRetry: (event: RetryEvent) => void;
  /** The per-request debug trace. */
  onAttempt: (event: AttemptEvent) => void;
  /** For the collector's progress watch: its interval, and the gauges each report feeds. */
  progress: ProgressOptions;
}

/** Stop starting new work this long before the host's functionTimeout: at least a minute, or 15% of it. */
export function workDeadline(startedAt: number, functionTimeoutMs: number): number {
  return startedAt + functionTimeoutMs - Math.max(60_000, functionTimeoutMs * 0.15);
}

/**
 * When requests still in flight are aborted: a third of the way from the work deadline to the host's timeout. The
 * remaining two thirds (at least 40 s) belong to the final checkpoint, which must finish before the host stops us.
 */
export function hardDeadline(startedAt: number, functionTimeoutMs: number): number {
  const work = workDeadline(startedAt, functionTimeoutMs);
  return work + (startedAt + functionTimeoutMs - work) / 3;
}

/**
 * The frame of every invocation: take the function's lock, open the sender and state, run the collector, then close
 * the sender, log the statistics line and record and flush the metrics, whether the run succeeded or not. When
 * another invocation of the same function holds the lock (a scale-out, a timer that fired twice, `npm run collect`
 * beside the host), this one says so and returns without sending or writing anything.
 */
export async function runInvocation(
  functionName: string,
  config: CommonConfig,
  env: Env,
  logger: Logger,
  options: InvocationOptions,
  body: (context: InvocationContext) => Promise<void>,
): Promise<RunStatistics> {
  const startedAt = options.startedAt ?? Date.now();
  const telemetry = options.telemetry ?? (await processTelemetry(env));
  const stats = emptyStatistics();
  const state = await openStateClients(config.storage);
  const lock = await acquireFunctionLock(state.container, functionName);
  if (lock === undefined) {
    logger.info(
      `${functionName}: busy: another invocation of this function holds its lock, so this one exits without work.`,
    );
    return stats;
  }
  const sender = new DevoSender(config.devo, {
    onConnection: (event) => logger.debug(devoTrace(functionName, event)),
    onWarning: (message) => logger.warn(`${functionName}: ${message}`),
  });
  const mark = await loadDeliveryMark(createCursorStore(state.table), functionName).catch((err: unknown) => {
    logger.warn(
      `${functionName}: the newest delivered event time could not be read (${String(err)}); lag is measured from this run alone.`,
    );
    return undefined;
  });
  const deadline = workDeadline(startedAt, config.functionTimeoutMs);
  const abortAt = AbortSignal.timeout(Math.max(0, hardDeadline(startedAt, config.functionTimeoutMs) - Date.now()));
  try {
    await body({
      stats,
      sender,
      state,
      deadline,
      budget: { deadline, signal: AbortSignal.any([abortAt, lock.signal]) },
      signal: lock.signal,
      onRequest: () => {
        stats.requests += 1;
      },
      onRetry: (event) => {
        stats.retries += 1;
        if (event.statusCode === 429 || event.statusCode === 403) stats.throttled += 1;
        logger.warn(
          `${functionName}: retry ${event.attempt} of ${maskedUrl(event.url)} in ${event.delayMs} ms (${event.statusCode ?? event.errorCode}).`,
        );
      },
      onAttempt: (event) => logger.debug(requestTrace(functionName, event)),
      progress: {
        ...(options.progressIntervalMs === undefined ? {} : { intervalMs: options.progressIntervalMs }),
        onReport: (report) => telemetry.progress(report),
      },
    });
  } finally {
    // Saved while the lock is still held, and never by an invocation that lost it.
    const newestConfirmed = lock.signal.aborted
      ? stats.newestEventTime
      : await advanceMark(mark, stats.newestEventTime).catch((err: unknown) => {
          logger.warn(`${functionName}: the newest delivered event time was not saved: ${String(err)}`);
          return stats.newestEventTime;
        });
    await lock
      .release()
      .catch((err: unknown) =>
        logger.warn(`${functionName}: its lock was not released (it expires by itself): ${String(err)}`),
      );
    await sender
      .close()
      .catch((err: unknown) => logger.warn(`${functionName}: Devo connection did not close cleanly: ${String(err)}`));
    const endedAt = Date.now();
    const devo = sender.stats();
    stats.eventsTruncated = devo.truncatedEvents;
    logger.info(summaryLine(functionName, stats, endedAt - startedAt));
    telemetry.record({ functionName, stats, devo, endedAt, newestConfirmed });
    await telemetry
      .flush()
      .catch((err: unknown) => logger.warn(`${functionName}: metrics were not exported: ${String(err)}`));
  }
  return stats;
}

/** The newest event time Devo confirmed for the function, this run's or an earlier one's, saved when it moved. */
async function advanceMark(mark: DeliveryMark | undefined, time: number | undefined): Promise<number | undefined> {
  if (mark === undefined) return time;
  return mark.advance(time);
}
