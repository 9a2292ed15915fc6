/**
 * The one description of a failed API request, whatever the API. Every request of every client ends either with its
 * answer or with an `HttpFailure` whose `reason` says what went wrong and whose `transient` flag says whether the same
 * request may succeed later. Callers decide per API what a failure means (skip a blob, stop a run), never how to read
 * a socket error.
 */
export const HTTP_FAILURE = 'HTTP_FAILURE';

export type FailureReason =
  /** The server answered with a status that is not 2xx. */
  | 'status'
  /** No answer: refused, reset, DNS, TLS, or the connection dropped before or while the body came. */
  | 'network'
  /** Headers did not arrive in time, or the body stopped flowing for longer than the idle limit. */
  | 'timeout'
  /** A 2xx answer whose body is cut short, not JSON, or not the JSON the endpoint promises (an HTML error page). */
  | 'body'
  /** The request was refused locally: its host is not on the allow-list. Never sent. */
  | 'refused'
  /** The run's time budget ended: no retry would fit, or the request was aborted at the hard deadline. */
  | 'deadline';

export interface HttpFailure extends Error {
  code: typeof HTTP_FAILURE;
  reason: FailureReason;
  /** True when the same request may succeed later (what is retried in place, and what a caller may try again). */
  transient: boolean;
  statusCode: number | undefined;
  /** The underlying machine code (`ECONNRESET`, `ETIMEDOUT`, `ERR_BODY_INVALID`, ...). */
  errorCode: string;
  /** At most the first 8 KiB of a non-2xx body, for the caller's classification (an `AF` code). Never logged. */
  bodyText: string | undefined;
  /** What the server asked us to wait, when it sent `Retry-After`. */
  retryAfterMs: number | undefined;
  /** Origin and path only: no query, which can hold IDs or paging tokens. */
  url: string;
  /** Attempts made, retries included. */
  attempts: number;
}

export function isHttpFailure(err: unknown): err is HttpFailure {
  return err instanceof Error && (err as { code?: unknown }).code === HTTP_FAILURE;
}

export function httpFailure(
  reason: FailureReason,
  message: string,
  details: Partial<Pick<HttpFailure, 'statusCode' | 'bodyText' | 'retryAfterMs' | 'errorCode' | 'transient'>> & {
    url: string;
  },
): HttpFailure {
  const error = new Error(message) as HttpFailure;
  error.code = HTTP_FAILURE;
  error.reason = reason;
  error.transient = details.transient ?? (reason !== 'refused' && reason !== 'deadline');
  error.statusCode = details.statusCode;
  error.errorCode = details.errorCode ?? reason.toUpperCase();
  error.bodyText = details.bodyText;
  error.retryAfterMs = details.retryAfterMs;
  error.url = details.url;
  error.attempts = 1;
  return error;
}

/** A body that broke its promise: thrown by body readers (a JSON parse or shape check) and retried as transient. */
export function bodyInvalid(message: string): Error & { code: 'ERR_BODY_INVALID' } {
  return Object.assign(new Error(message), { code: 'ERR_BODY_INVALID' as const });
}

export function isBodyInvalid(err: unknown): err is Error & { code: 'ERR_BODY_INVALID' } {
  return (
    err instanceof Error && ((err as { code?: unknown }).code === 'ERR_BODY_INVALID' || err instanceof SyntaxError)
  );
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  if (typeof header !== 'string') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
