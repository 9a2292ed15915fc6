import got, { type Got, type RequestError } from 'got';
import { hostNotAllowed } from './errors.ts';
import { createRateLimiter, unlimited, type RateLimiter } from './rate-limiter.ts';
import { retryDelay } from './retry-policy.ts';

export interface RetryEvent {
  url: string;
  attempt: number;
  delayMs: number;
  errorCode: string;
  statusCode: number | undefined;
}

export interface HttpClientOptions {
  /** Origins (`https://host[:port]`) requests may go to; anything else fails before a byte is sent. */
  allowedOrigins: readonly string[];
  /**
   * Adds `Authorization: Bearer` to requests for exactly this origin, and to no other. A 401 answer drops the cached
   * token (`invalidate`) and repeats the request once with a fresh one.
   */
  bearer?: { origin: string; getToken: () => Promise<string>; invalidate?: () => void };
  /** Per-attempt time limit. */
  timeoutMs: number;
  retryLimit: number;
  /** Longest single wait between attempts, `Retry-After` included. */
  maxRetryDelayMs: number;
  /** First backoff step; doubles per attempt. Default 1000. */
  baseRetryDelayMs?: number;
  requestsPerSecond?: number;
  /** A limiter of the caller's own (e.g. a budget per 5 minutes); wins over `requestsPerSecond`. */
  rateLimiter?: RateLimiter;
  /** API-specific retry rule for statuses that are not retryable by themselves (a throttle code inside HTTP 403). */
  isRetryableResponse?: (statusCode: number, body: string) => boolean;
  onRetry?: (event: RetryEvent) => void;
  onRequest?: (url: URL) => void;
  userAgent?: string;
}

/**
 * The one got instance shape every API client uses: time-outs, retries that honour `Retry-After`, an optional rate
 * limit, and a host allow-list so the bearer token only ever goes to the API it was issued for. Redirects are not
 * followed: none of our APIs redirect, and a redirect is how a token would leak.
 */
export function createHttpClient(options: HttpClientOptions): Got {
  const allowed = new Set(options.allowedOrigins.map((o) => new URL(o).origin));
  const limiter =
    options.rateLimiter ??
    (options.requestsPerSecond === undefined ? unlimited : createRateLimiter({ perSecond: options.requestsPerSecond }));
  const bearerOrigin = options.bearer === undefined ? undefined : new URL(options.bearer.origin).origin;
  const renewedRequests = new WeakSet<object>();

  return got.extend({
    timeout: { request: options.timeoutMs },
    followRedirect: false,
    headers: { 'user-agent': options.userAgent ?? 'o365-devo-functions' },
    retry: {
      limit: options.retryLimit,
      methods: ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS'],
      maxRetryAfter: options.maxRetryDelayMs,
      enforceRetryRules: false,
      calculateDelay: ({ attemptCount, error, retryAfter, computedValue }) => {
        // got's own retry after a token renewal (afterResponse hook): keep its immediate retry.
        if (error.name === 'RetryError') return computedValue;
        const delayMs = retryDelay({
          attemptCount,
          limit: options.retryLimit,
          errorCode: error.code,
          statusCode: error.response?.statusCode,
          body: responseText(error),
          retryAfterMs: retryAfter,
          maxDelayMs: options.maxRetryDelayMs,
          baseDelayMs: options.baseRetryDelayMs ?? 1000,
          ...(options.isRetryableResponse === undefined ? {} : { isRetryableResponse: options.isRetryableResponse }),
        });
        if (delayMs > 0) {
          options.onRetry?.({
            url: redact(error.options.url),
            attempt: attemptCount,
            delayMs,
            errorCode: error.code,
            statusCode: error.response?.statusCode,
          });
        }
        return delayMs;
      },
    },
    hooks: {
      afterResponse: [
        (response, retryWithMergedOptions) => {
          const renewable = response.statusCode === 401 && options.bearer?.invalidate !== undefined;
          if (!renewable || response.request.retryCount > 0 || renewedRequests.has(response.request)) return response;
          renewedRequests.add(response.request);
          options.bearer?.invalidate?.();
          return retryWithMergedOptions({});
        },
      ],
      beforeRequest: [
        async (request) => {
          const url = request.url instanceof URL ? request.url : new URL(String(request.url));
          if (!allowed.has(url.origin)) throw hostNotAllowed(url, [...allowed]);
          await limiter.acquire();
          options.onRequest?.(url);
          if (bearerOrigin !== undefined && url.origin === bearerOrigin && options.bearer !== undefined) {
            request.headers.authorization = `Bearer ${await options.bearer.getToken()}`;
          } else {
            delete request.headers.authorization;
          }
        },
      ],
    },
  });
}

/** The body of a failed response as text, for error classification; never logged whole. */
export function responseText(error: RequestError): string | undefined {
  const body = error.response?.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return JSON.stringify(body);
}

/** A URL fit for logs: origin and path, no query (it may carry IDs or paging tokens). */
export function redact(url: string | URL | undefined): string {
  if (url === undefined) return '';
  const u = url instanceof URL ? url : new URL(url);
  return `${u.origin}${u.pathname}`;
}
