import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import got, { type Got, type Request } from 'got';
import { hostNotAllowed, isHostNotAllowed } from './errors.ts';
import {
  bodyInvalid,
  httpFailure,
  isBodyInvalid,
  isHttpFailure,
  parseRetryAfter,
  type HttpFailure,
} from './failure.ts';
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

/** Consumes one attempt's 2xx body; a fresh consumer per attempt, so a failed attempt leaves nothing behind. */
export type BodyReader<T> = () => { chunk(data: Buffer): void | Promise<void>; end(): T };

export interface HttpResponseInfo {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/** The one way API clients make requests: retries, time-outs, budget, allow-list and bearer are applied here. */
export interface HttpClient {
  fetch<T>(request: HttpRequest, read: BodyReader<T>): Promise<{ value: T; response: HttpResponseInfo }>;
}

/** Bytes of a non-2xx body kept for classification. */
const ERROR_BODY_BYTES = 8192;

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

/** Marks a failure of the caller's body reader (Devo, state), so it passes through the retry logic untouched. */
class ReaderError extends Error {}

/**
 * Feeds the body to `onChunk` chunk by chunk as it arrives, failing when no chunk comes for `idleMs` while we wait
 * for one. While an `onChunk` promise is pending the stream is paused and no timer runs, so a slow reader never
 * times the body out. Chunks are taken from `data` events rather than `read()`, which would first copy every chunk
 * buffered meanwhile into one new buffer: the whole body, once more.
 */
function readChunks(
  stream: Request,
  idleMs: number,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    let busy = false;
    let ended = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err === undefined) resolve(bytes);
      else reject(err as Error);
    };
    // One timer for the whole body, restarted by each chunk: a new timer per chunk was a measurable cost at
    // tens of thousands of chunks a second.
    const arm = (): void => {
      if (timer === undefined) timer = setTimeout(() => finish(idleTimeout(idleMs)), idleMs);
      else timer.refresh();
    };
    const disarm = (): void => {
      clearTimeout(timer);
      timer = undefined;
    };
    const readerFailed = (err: unknown): void =>
      finish(isBodyInvalid(err) ? err : new ReaderError('body reader failed', { cause: err }));
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      let pending: void | Promise<void>;
      try {
        pending = onChunk(chunk);
      } catch (err) {
        return readerFailed(err);
      }
      if (pending === undefined) return arm();
      disarm();
      busy = true;
      stream.pause();
      pending.then(() => {
        busy = false;
        if (settled) return;
        if (ended) return finish();
        arm();
        stream.resume();
      }, readerFailed);
    };
    const onEnd = (): void => {
      ended = true;
      if (!busy) finish();
    };
    // Stays attached after the end: an error the stream emits later must not go unhandled.
    stream.on('error', (err) => finish(err));
    stream.on('data', onData);
    stream.on('end', onEnd);
    arm();
  });
}

const idleTimeout = (idleMs: number) =>
  Object.assign(new Error(`the response body stalled for ${idleMs} ms`), { code: 'ETIMEDOUT' });

async function readErrorBody(stream: Request, idleMs: number): Promise<string> {
  const parts: Buffer[] = [];
  let kept = 0;
  try {
    await readChunks(stream, idleMs, (chunk) => {
      if (kept < ERROR_BODY_BYTES) parts.push(chunk.subarray(0, ERROR_BODY_BYTES - kept));
      kept += chunk.length;
    });
  } catch {
    // The status is the failure; a broken error body only leaves less to classify.
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A body shorter than its declared length: Node reports most cuts itself, this catches the rest. */
function checkLength(response: HttpResponseInfo, bytes: number): void {
  const declared = response.headers['content-length'];
  if (declared === undefined || response.headers['content-encoding'] !== undefined) return;
  if (Number(declared) !== bytes) {
    throw Object.assign(new Error(`Content-Length mismatch: expected ${declared} bytes, received ${bytes}`), {
      code: 'ERR_BODY_LENGTH',
    });
  }
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

/** The whole body as text (at most `limitBytes`, which guards against a runaway answer). */
export function textBody(limitBytes = 64 * 1024 * 1024): BodyReader<string> {
  return () => {
    const parts: Buffer[] = [];
    let size = 0;
    return {
      chunk(data) {
        size += data.length;
        if (size > limitBytes) throw new RangeError(`the response is larger than ${limitBytes} bytes`);
        parts.push(data);
      },
      end: () => Buffer.concat(parts).toString('utf8'),
    };
  };
}

/**
 * The body parsed as JSON and checked against what the endpoint promises; anything else (cut short, an HTML page,
 * the wrong shape) is a body failure, retried like a 5xx.
 */
export function jsonBody<T>(accept: (value: unknown) => T | undefined, expected: string): BodyReader<T> {
  const text = textBody();
  return () => {
    const inner = text();
    return {
      chunk: (data) => inner.chunk(data),
      end() {
        const raw = inner.end();
        let parsed: unknown;
        try {
          parsed = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          throw bodyInvalid(`the response is not JSON (${raw.length} characters)`);
        }
        const value = accept(parsed);
        if (value === undefined) throw bodyInvalid(`the response is not ${expected}`);
        return value;
      },
    };
  };
}

/** A URL fit for logs: origin and path, no query (it may carry IDs or paging tokens). */
export function redact(url: string | URL | undefined): string {
  if (url === undefined) return '';
  const u = url instanceof URL ? url : new URL(url);
  return `${u.origin}${u.pathname}`;
}
