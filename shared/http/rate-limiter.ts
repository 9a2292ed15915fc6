/**
 * A token bucket: at most `perSecond` requests start in any second on average, with bursts up to `burst`.
 * The clock and the sleep are injected so the limiter is tested without waiting.
 */
export interface RateLimiter {
  /** Resolves when the caller may start one request. */
  acquire(): Promise<void>;
}

export interface RateLimiterOptions {
  perSecond: number;
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const capacity = Math.max(1, options.burst ?? options.perSecond);
  const msPerToken = 1000 / options.perSecond;
  let tokens = capacity;
  let updatedAt = now();
  // Callers queue on one promise chain so they are served in arrival order.
  let queue: Promise<void> = Promise.resolve();

  const take = async (): Promise<void> => {
    for (;;) {
      const t = now();
      tokens = Math.min(capacity, tokens + (t - updatedAt) / msPerToken);
      updatedAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil((1 - tokens) * msPerToken));
    }
  };

  return {
    acquire() {
      const turn = queue.then(take);
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}

/** A limiter that never waits, for when no rate is configured. */
export const unlimited: RateLimiter = { acquire: () => Promise.resolve() };
