import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Got } from 'got';
import { checkLength, readChunks, readErrorBody, ReaderError, type BodyReader, type HttpResponseInfo } from './body.ts';
import { hostNotAllowed, isHostNotAllowed } from './errors.ts';
import { httpFailure, isBodyInvalid, isHttpFailure, parseRetryAfter, type HttpFailure } from './failure.ts';
import { createRateLimiter, unlimited, type RateLimiter } from './rate-limiter.ts';
import { isRateLimitDeadline } from './window-limiter.ts';
import { decideRetry, isTransientNetworkCode, isTransientStatus } from './retry-policy.ts';

export interface RetryEvent {
  url: string;
  attempt: number;
  delayMs: number;
  errorCode: string;
  statusCode: number | undefined;
}

/** One finished attempt, for debug traces: the URL is origin and path only (the caller masks IDs in it). */
export interface AttemptEvent {
  method: string;
  url: string;
  /** HTTP status, or the error code when no answer came back. */
  outcome: number | string;
  attempt: number;
  ms: number;
}

/** The run's time budget, as the HTTP layer needs it. */
export interface HttpBudget {
  /** No attempt and no retry wait starts after this instant (ms since epoch). */
  deadline: number;
  /** Aborts requests in flight: the hard deadline, or a lost lease. */
  signal?: AbortSignal;
}

export interface HttpClientOptions {
  /** Origins (`https://host[:port]`) requests may go to; anything else fails before a byte is sent. */
  allowedOrigins: readonly string[];
  /**
   * Adds `Authorization: Bearer` to requests for exactly this origin, and to no other. A 401 answer drops the cached
   * token (`invalidate`) and repeats the request once with a fresh one.
   */
  bearer?: { origin: string; getToken: () => Promise<string>; invalidate?: () => void };
  /** Longest wait for the response headers, and longest pause of a response body (an idle limit, not a clock). */
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
  budget?: HttpBudget;
  onRetry?: (event: RetryEvent) => void;
  onRequest?: (url: URL) => void;
  /** Called after every attempt, whatever its outcome. */
  onAttempt?: (event: AttemptEvent) => void;
  userAgent?: string;
}

export interface HttpRequest {
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  form?: Record<string, string>;
}

/** The one way API clients make requests: retries, time-outs, budget, allow-list and bearer are applied here. */
export interface HttpClient {
  fetch<T>(request: HttpRequest, read: BodyReader<T>): Promise<{ value: T; response: HttpResponseInfo }>;
}

/**
 * Builds the client. Every request is streamed: headers must arrive within `timeoutMs`, and the body may pause for
 * at most `timeoutMs` while we wait for it (time spent in the reader, e.g. while the outbox holds a large blob back,
 * does not count), so a body that keeps flowing is never cut off however long it is. A failure is classified once
 * (`HttpFailure`) and a transient one is retried in place with backoff, never past the budget's deadline. Redirects
 * are not followed: none of our APIs redirect, and a redirect is how a token would leak.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const allowed = new Set(options.allowedOrigins.map((o) => new URL(o).origin));
  const limiter =
    options.rateLimiter ??
    (options.requestsPerSecond === undefined ? unlimited : createRateLimiter({ perSecond: options.requestsPerSecond }));
  const bearerOrigin = options.bearer === undefined ? undefined : new URL(options.bearer.origin).origin;
  const t = options.timeoutMs;
  const http: Got = got.extend({
    timeout: { lookup: t, connect: t, secureConnect: t, send: t, response: t },
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    headers: { 'user-agent': options.userAgent ?? 'o365-devo-functions' },
    hooks: {
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

  const attempt = async <T>(request: HttpRequest, read: BodyReader<T>) => {
    const signal = options.budget?.signal;
    const stream = http.stream(request.url, {
      method: request.method ?? 'GET',
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.form !== undefined ? { form: request.form } : request.method === 'POST' ? { body: '' } : {}),
      ...(signal === undefined ? {} : { signal }),
    });
    const url = redact(request.url);
    try {
      const [response] = (await once(stream, 'response')) as [HttpResponseInfo];
      if (response.statusCode < 200 || response.statusCode > 299) {
        const bodyText = await readErrorBody(stream, t);
        throw statusFailure(response, bodyText, url, options.isRetryableResponse);
      }
      const reader = read();
      const bytes = await readChunks(stream, t, (chunk) => reader.chunk(chunk));
      checkLength(response, bytes);
      return { value: reader.end(), response };
    } catch (err) {
      stream.destroy();
      throw toFailure(err, url, signal);
    }
  };

  const trace = (request: HttpRequest, outcome: number | string, n: number, started: number): void =>
    options.onAttempt?.({
      method: request.method ?? 'GET',
      url: redact(request.url),
      outcome,
      attempt: n,
      ms: performance.now() - started,
    });

  return {
    async fetch(request, read) {
      let renewed = false;
      for (let attempts = 1; ; attempts += 1) {
        try {
          if (Date.now() >= (options.budget?.deadline ?? Infinity))
            throw httpFailure('deadline', 'the run has no time left for this request', { url: redact(request.url) });
          const started = performance.now();
          const result = await attempt(request, read).catch((err: unknown) => {
            const f = err as Partial<HttpFailure>;
            trace(request, f.statusCode ?? f.errorCode ?? f.reason ?? 'failed', attempts, started);
            throw err;
          });
          trace(request, result.response.statusCode, attempts, started);
          return result;
        } catch (err) {
          if (err instanceof ReaderError) throw err.cause;
          const failure = err as HttpFailure;
          failure.attempts = attempts;
          if (failure.statusCode === 401 && options.bearer?.invalidate !== undefined && !renewed) {
            renewed = true;
            options.bearer.invalidate();
            continue;
          }
          const decision = decideRetry({
            attemptCount: attempts,
            limit: options.retryLimit,
            transient: failure.transient,
            retryAfterMs: failure.retryAfterMs,
            maxDelayMs: options.maxRetryDelayMs,
            baseDelayMs: options.baseRetryDelayMs ?? 1000,
            ...(options.budget === undefined ? {} : { timeLeftMs: options.budget.deadline - Date.now() }),
          });
          if (!decision.retry) {
            if (decision.why === 'deadline') {
              failure.reason = 'deadline';
              failure.message += ' (no retry fits in the time left)';
            }
            throw failure;
          }
          options.onRetry?.({
            url: failure.url,
            attempt: attempts,
            delayMs: decision.delayMs,
            errorCode: failure.errorCode,
            statusCode: failure.statusCode,
          });
          await wait(decision.delayMs, options.budget?.signal, failure.url);
        }
      }
    },
  };
}

function statusFailure(
  response: HttpResponseInfo,
  bodyText: string,
  url: string,
  isRetryableResponse: HttpClientOptions['isRetryableResponse'],
): HttpFailure {
  return httpFailure('status', `HTTP ${response.statusCode}`, {
    url,
    statusCode: response.statusCode,
    bodyText,
    errorCode: 'ERR_NON_2XX_3XX_RESPONSE',
    retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    transient: isTransientStatus(response.statusCode, bodyText, isRetryableResponse),
  });
}

/** One classification of whatever an attempt threw. No `cause`: got's errors hold the request, token included. */
function toFailure(err: unknown, url: string, signal: AbortSignal | undefined): unknown {
  if (err instanceof ReaderError || isHttpFailure(err)) return err;
  if (isHostNotAllowed(err)) return httpFailure('refused', err.message, { url, errorCode: err.code });
  if (isRateLimitDeadline(err)) return httpFailure('deadline', err.message, { url, errorCode: err.code });
  if (signal?.aborted === true)
    return httpFailure('deadline', 'the request was aborted: the run is out of time', { url });
  const e = err as { code?: string; message?: string };
  const code = e.code ?? 'ERR_UNKNOWN';
  if (isBodyInvalid(err) || code === 'ERR_BODY_LENGTH') {
    return httpFailure('body', `the response body is unusable: ${e.message ?? code}`, { url, errorCode: code });
  }
  const timeout = code === 'ETIMEDOUT';
  return httpFailure(timeout ? 'timeout' : 'network', `${code}: ${e.message ?? 'request failed'}`, {
    url,
    errorCode: code,
    transient: isTransientNetworkCode(code),
  });
}

async function wait(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
  try {
    await sleep(ms, undefined, signal === undefined ? undefined : { signal });
  } catch {
    throw httpFailure('deadline', 'the retry wait was cut short: the run is out of time', { url });
  }
}

/** A URL fit for logs: origin and path, no query (it may carry IDs or paging tokens). */
export function redact(url: string | URL | undefined): string {
  if (url === undefined) return '';
  const u = url instanceof URL ? url : new URL(url);
  return `${u.origin}${u.pathname}`;
}
