/**
 * Which failures are transient and how long to wait before the next attempt: pure functions of the failure, the
 * attempt and the time left, so the policy has its own tests and does not depend on got's internals.
 */

export const RETRYABLE_STATUS_CODES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 521, 522, 524]);

/**
 * Network failures that no retry can fix: the peer's certificate is wrong or the request itself is malformed. Every
 * other failure without an answer (refused, reset, DNS, a body cut off) may go through on the next attempt.
 */
const PERMANENT_NETWORK_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|SIGNATURE|ERR_TLS_|ERR_SSL_|ERR_INVALID_/;

/** True when a network-level failure (no HTTP status) may succeed on another attempt. */
export function isTransientNetworkCode(errorCode: string): boolean {
  return !PERMANENT_NETWORK_CODE.test(errorCode);
}

/**
 * True when a non-2xx answer may succeed on another attempt: the retryable statuses, or the API's own rule for a
 * status that does not say so by itself (Microsoft's throttle code `AF429` inside an HTTP 403).
 */
export function isTransientStatus(
  statusCode: number,
  body: string,
  isRetryableResponse?: (statusCode: number, body: string) => boolean,
): boolean {
  return RETRYABLE_STATUS_CODES.has(statusCode) || (isRetryableResponse?.(statusCode, body) ?? false);
}

export interface RetryDecisionInput {
  /** 1 for the first retry. */
  attemptCount: number;
  limit: number;
  /** Whether the failure may go away (see `isTransientStatus`, `isTransientNetworkCode`). */
  transient: boolean;
  /** Milliseconds the server asked us to wait, when it sent `Retry-After`. */
  retryAfterMs: number | undefined;
  /** Upper bound for any single wait, so a huge `Retry-After` cannot outlive the invocation. */
  maxDelayMs: number;
  /** First backoff step; doubles per attempt. */
  baseDelayMs: number;
  /** Milliseconds left in the run's budget; a wait that would not end inside it is not started. */
  timeLeftMs?: number;
  random?: () => number;
}

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; why: 'permanent' | 'limit' | 'deadline' };

/** Whether to try again, and after how long. */
export function decideRetry(input: RetryDecisionInput): RetryDecision {
  if (!input.transient) return { retry: false, why: 'permanent' };
  if (input.attemptCount > input.limit) return { retry: false, why: 'limit' };
  const delayMs =
    input.retryAfterMs !== undefined
      ? clamp(input.retryAfterMs, 1, input.maxDelayMs)
      : clamp(
          input.baseDelayMs * 2 ** (input.attemptCount - 1) +
            (input.random ?? Math.random)() * Math.min(1000, input.baseDelayMs),
          1,
          input.maxDelayMs,
        );
  // Waiting past the budget only to be stopped would waste the time the final checkpoint needs.
  if (input.timeLeftMs !== undefined && delayMs >= input.timeLeftMs) return { retry: false, why: 'deadline' };
  return { retry: true, delayMs };
}

/** Milliseconds to wait before the next attempt, or 0 to give up. */
export function retryDelay(input: RetryDecisionInput): number {
  const decision = decideRetry(input);
  return decision.retry ? decision.delayMs : 0;
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(value)));
