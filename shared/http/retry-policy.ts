/**
 * When to retry a failed request and how long to wait: a pure function of the attempt, the error and the server's
 * `Retry-After`, so the policy has its own tests and does not depend on got's internals.
 */

/** Network failures worth another try: the request may not have reached the server, or its answer was cut off. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_GOT_REQUEST_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

export const RETRYABLE_STATUS_CODES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 521, 522, 524]);

export interface RetryDecisionInput {
  /** 1 for the first retry. */
  attemptCount: number;
  limit: number;
  /** got's machine code for the failure (`ETIMEDOUT`, `ERR_NON_2XX_3XX_RESPONSE`, ...). */
  errorCode: string;
  statusCode: number | undefined;
  /** The response body as text, when there was one. */
  body: string | undefined;
  /** Milliseconds the server asked us to wait, when it sent `Retry-After`. */
  retryAfterMs: number | undefined;
  /** Upper bound for any single wait, so a huge `Retry-After` cannot outlive the invocation. */
  maxDelayMs: number;
  /** First backoff step; doubles per attempt. */
  baseDelayMs: number;
  /** API-specific rule for responses whose status alone does not say (e.g. a throttling code inside HTTP 403). */
  isRetryableResponse?: (statusCode: number, body: string) => boolean;
  random?: () => number;
}

/** Milliseconds to wait before the next attempt, or 0 to give up. */
export function retryDelay(input: RetryDecisionInput): number {
  if (input.attemptCount > input.limit || !isRetryable(input)) return 0;
  if (input.retryAfterMs !== undefined) return clamp(input.retryAfterMs, 1, input.maxDelayMs);
  const backoff = input.baseDelayMs * 2 ** (input.attemptCount - 1);
  const jitter = (input.random ?? Math.random)() * Math.min(1000, input.baseDelayMs);
  return clamp(backoff + jitter, 1, input.maxDelayMs);
}

export function isRetryable(
  input: Pick<RetryDecisionInput, 'errorCode' | 'statusCode' | 'body' | 'isRetryableResponse'>,
): boolean {
  if (input.statusCode === undefined)
    return RETRYABLE_NETWORK_CODES.has(input.errorCode) || input.errorCode === 'ETIMEDOUT';
  if (RETRYABLE_STATUS_CODES.has(input.statusCode)) return true;
  return input.isRetryableResponse?.(input.statusCode, input.body ?? '') ?? false;
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.round(value)));
