import type { Logger } from './logger.ts';
import type { RunStatistics } from './statistics.ts';

/** How often a run that is behind says how far it got (the progress line and gauges). */
export const PROGRESS_INTERVAL_MS = 15_000;

/** A run whose cursor is further behind than this when a progress tick comes is catching up, and says so. */
export const BEHIND_MS = 3_600_000;

/** Where a catching-up run stands. */
export interface ProgressReport {
  functionName: string;
  /** The position its cursor reached (everything before it is done). */
  position: Date;
  /** Share of the backlog done, 0 to 1: time covered since the run started ÷ time from its start position to now. */
  shareDone: number;
  /** Events Devo confirmed so far in this run. */
  eventsSent: number;
  /** Events queued so far in this run (confirmed at the next delivery). */
  eventsQueued: number;
  /** Events queued per second since the previous report: the pace of the work. */
  eventsPerSecond: number;
  /** Seconds left to catch up at the pace so far; undefined until some of the backlog is done. */
  etaSeconds: number | undefined;
}

/**
 * The report at instant `now` of a run that started at `startedAt` from position `from` and has reached `position`,
 * or undefined when the run is not behind (at the live edge it prints only its statistics line).
 */
export function progressAt(input: {
  functionName: string;
  from: number;
  position: number;
  startedAt: number;
  now: number;
  eventsSent: number;
  eventsQueued: number;
  previous: { at: number; eventsQueued: number };
  behindMs?: number;
}): ProgressReport | undefined {
  const { from, position, startedAt, now } = input;
  if (now - position <= (input.behindMs ?? BEHIND_MS)) return undefined;
  const backlog = now - from;
  const shareDone = backlog > 0 ? Math.min(1, Math.max(0, (position - from) / backlog)) : 1;
  const elapsed = now - startedAt;
  // Time covered per second of run time, against a target that itself moves on at one second per second.
  const covered = elapsed > 0 ? (position - from) / elapsed : 0;
  const etaSeconds = covered > 1 ? (now - position) / (covered - 1) / 1000 : undefined;
  const seconds = (now - input.previous.at) / 1000;
  return {
    functionName: input.functionName,
    position: new Date(position),
    shareDone,
    eventsSent: input.eventsSent,
    eventsQueued: input.eventsQueued,
    eventsPerSecond: seconds > 0 ? (input.eventsQueued - input.previous.eventsQueued) / seconds : 0,
    etaSeconds,
  };
}

export function progressLine(r: ProgressReport): string {
  const eta = r.etaSeconds === undefined ? 'not yet known' : `about ${formatDuration(r.etaSeconds)}`;
  return (
    `${r.functionName} progress: at ${r.position.toISOString()}; ${(r.shareDone * 100).toFixed(1)} % of the backlog done; ` +
    `events sent: ${r.eventsSent}; events queued: ${r.eventsQueued}; ${r.eventsPerSecond.toFixed(1)} events/s; ` +
    `caught up in ${eta}`
  );
}

const formatDuration = (seconds: number): string =>
  seconds < 10
    ? `${seconds.toFixed(1)} s`
    : seconds < 120
      ? `${Math.round(seconds)} s`
      : seconds < 5400
        ? `${Math.round(seconds / 60)} min`
        : `${(seconds / 3600).toFixed(1)} h`;

/** What an invocation passes to its collector's progress watch. */
export interface ProgressOptions {
  intervalMs?: number;
  onReport?: (report: ProgressReport) => void;
}

export interface ProgressWatch {
  stop(): void;
}

/**
 * Reports a run's progress every `intervalMs` while it is behind: one log line and `onReport` (the gauges). The timer
 * never keeps the process alive; `stop()` ends it.
 */
export function watchProgress(options: {
  functionName: string;
  logger: Logger;
  stats: Pick<RunStatistics, 'eventsSent' | 'eventsQueued'>;
  /** The cursor's position now (ISO time), read at every tick. */
  position: () => string | undefined;
  intervalMs?: number;
  onReport?: (report: ProgressReport) => void;
  now?: () => number;
}): ProgressWatch {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const start = Date.parse(options.position() ?? '');
  let previous = { at: startedAt, eventsQueued: options.stats.eventsQueued };
  const timer = setInterval(() => {
    const position = Date.parse(options.position() ?? '');
    if (Number.isNaN(start) || Number.isNaN(position)) return;
    const at = now();
    const { eventsSent, eventsQueued } = options.stats;
    const report = progressAt({
      functionName: options.functionName,
      from: start,
      position,
      startedAt,
      now: at,
      eventsSent,
      eventsQueued,
      previous,
    });
    previous = { at, eventsQueued };
    if (report === undefined) return;
    options.logger.info(progressLine(report));
    options.onReport?.(report);
  }, options.intervalMs ?? PROGRESS_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
