import { setTimeout as delay } from 'node:timers/promises';
import type { RateLimiter } from './rate-limiter.ts';

/** Thrown (through got's hook) when the budget has no room before the run's deadline: the request is never sent. */
export const RATE_LIMIT_DEADLINE = 'HTTP_RATE_LIMIT_DEADLINE';

export interface RateLimitDeadlineError extends Error {
  code: typeof RATE_LIMIT_DEADLINE;
  /** How long the request would have had to wait for room in the window. */
  waitMs: number;
}

export function isRateLimitDeadline(err: unknown): err is RateLimitDeadlineError {
  return err instanceof Error && (err as { code?: unknown }).code === RATE_LIMIT_DEADLINE;
}

/**
 * A sliding-window budget: never more than `limit` requests start in any `windowMs`, counted from the send times it
 * was given (earlier invocations') and the ones it lets out. Unlike a token bucket it has no burst above the limit,
 * so it matches a server that counts requests per rolling window, as Graph counts message trace requests.
 */
export interface WindowLimiter extends RateLimiter {
  /** Send times (ms since epoch) still inside the window, oldest first: what to keep for the next invocation. */
  sentTimes(): number[];
}

export interface WindowLimiterOptions {
  limit: number;
  windowMs: number;
  /** Send times (ms since epoch) of earlier requests, in any order; those outside the window are dropped. */
  history?: readonly number[];
  /** A request that cannot start before this time (ms since epoch) is refused instead of waited for. */
  deadline?: number;
  /** Cuts a wait short: the request is refused as out of time. */
  signal?: AbortSignal;
  /** Wall clock: send times are compared across processes, so this is never a monotonic clock. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called after each send time is taken (to persist the times). */
  onSent?: (sentTimes: readonly number[]) => void;
  /** Called before waiting for room in the window. */
  onWait?: (waitMs: number) => void;
}

export function createWindowLimiter(options: WindowLimiterOptions): WindowLimiter {
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ??
    ((ms: number, signal?: AbortSignal) => delay(ms, undefined, signal === undefined ? {} : { signal }));
  const limit = Math.max(1, Math.floor(options.limit));
  const start = now();
  let times = [...(options.history ?? [])]
    .filter((t) => Number.isFinite(t) && t > start - options.windowMs)
    // A time in the future (a clock that stepped back) still counts, as if sent now at the latest.
    .map((t) => Math.min(t, start))
    .sort((a, b) => a - b);
  // Callers queue on one promise chain so they are served in arrival order.
  let queue: Promise<void> = Promise.resolve();

  const take = async (): Promise<void> => {
    for (;;) {
      const t = now();
      times = dropExpired(times, t - options.windowMs);
      const oldest = times[times.length - limit];
      if (oldest === undefined) {
        times.push(t);
        options.onSent?.(times);
        return;
      }
      const waitMs = oldest + options.windowMs - t;
      if (options.signal?.aborted === true || t + waitMs >= (options.deadline ?? Infinity)) throw refusal(waitMs);
      options.onWait?.(waitMs);
      try {
        await sleep(waitMs, options.signal);
      } catch {
        throw refusal(waitMs);
      }
    }
  };

  return {
    acquire() {
      const turn = queue.then(take);
      queue = turn.catch(() => undefined);
      return turn;
    },
    sentTimes: () => dropExpired(times, now() - options.windowMs),
  };
}

/** `times` (sorted) without the ones at or before `cutoff`. */
function dropExpired(times: number[], cutoff: number): number[] {
  let first = 0;
  while (first < times.length && (times[first] ?? Infinity) <= cutoff) first += 1;
  return first === 0 ? times : times.slice(first);
}

function refusal(waitMs: number): RateLimitDeadlineError {
  const error = new Error(
    `the request budget has no room for ${Math.ceil(waitMs / 1000)} s, more than the run has left`,
  ) as RateLimitDeadlineError;
  error.code = RATE_LIMIT_DEADLINE;
  error.waitMs = waitMs;
  return error;
}
