import type { Got, RequestError } from 'got';
import { createHttpClient, isHostNotAllowed, responseText, retryDelay, type RetryEvent } from '../http/index.ts';
import type { HttpSettings } from '../config/index.ts';
import type { TokenSource } from '../auth/index.ts';
import {
  OPERATOR_HINTS,
  classifyApiError,
  isRetryableApiResponse,
  parseApiError,
  type ErrorAction,
} from './api-errors.ts';
import { JsonArraySplitter } from './json-array-splitter.ts';

/** A content blob descriptor as listed by `subscriptions/content`. */
export interface ContentBlob {
  contentType: string;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration: string;
}

export interface Subscription {
  contentType: string;
  status: string;
}

export const MANAGEMENT_API_ERROR = 'MANAGEMENT_API_ERROR';

/** A failed API call with what to do about it; `apiCode` is Microsoft's `AFxxxxx` code when the body had one. */
export interface ManagementApiError extends Error {
  code: typeof MANAGEMENT_API_ERROR;
  operation: string;
  action: ErrorAction;
  apiCode: string | undefined;
  statusCode: number | undefined;
  url: string;
}

export function isManagementApiError(err: unknown): err is ManagementApiError {
  return err instanceof Error && (err as { code?: unknown }).code === MANAGEMENT_API_ERROR;
}

export interface ManagementClientOptions {
  apiUrl: string;
  tenantId: string;
  tokens: TokenSource;
  http: HttpSettings;
  onRetry?: (event: RetryEvent) => void;
  onRequest?: (url: URL) => void;
}

/** `2026-11-20T10:00:00`: the API's UTC format, seconds precision. */
export const apiTime = (date: Date): string => date.toISOString().slice(0, 19);

/**
 * The Management Activity API for one tenant. Every request carries `PublisherIdentifier` (the tenant's own quota) and
 * goes only to the configured API origin: a next-page or content URL on another host is refused, and the token with it.
 */
export class ManagementClient {
  readonly #options: ManagementClientOptions;
  readonly #http: Got;
  readonly #origin: string;
  readonly #feed: string;

  constructor(options: ManagementClientOptions) {
    this.#options = options;
    this.#origin = new URL(options.apiUrl).origin;
    this.#feed = `${this.#origin}/api/v1.0/${encodeURIComponent(options.tenantId)}/activity/feed`;
    this.#http = createHttpClient({
      allowedOrigins: [this.#origin],
      bearer: {
        origin: this.#origin,
        getToken: () => options.tokens.getToken(),
        invalidate: () => options.tokens.invalidate(),
      },
      timeoutMs: options.http.timeoutMs,
      retryLimit: options.http.retries,
      baseRetryDelayMs: options.http.retryWaitMs,
      maxRetryDelayMs: options.http.maxRetryWaitMs,
      ...(options.http.requestsPerSecond === undefined ? {} : { requestsPerSecond: options.http.requestsPerSecond }),
      isRetryableResponse: isRetryableApiResponse,
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
  }

  async listSubscriptions(): Promise<Subscription[]> {
    const body = await this.#json('list subscriptions', this.#url('/subscriptions/list'));
    if (!Array.isArray(body)) throw this.#shapeError('list subscriptions', 'an array of subscriptions');
    return body as Subscription[];
  }

  /** Starts a subscription; `already-enabled` when Microsoft answers AF20024. */
  async startSubscription(contentType: string): Promise<'started' | 'already-enabled'> {
    try {
      await this.#json('start subscription', this.#url('/subscriptions/start', { contentType }), 'POST');
      return 'started';
    } catch (err) {
      if (isManagementApiError(err) && err.action === 'ok') return 'already-enabled';
      throw err;
    }
  }

  /** Lists the blobs whose `contentCreated` is in [start, end), page by page, following `NextPageUri`. */
  async *listContent(contentType: string, start: Date, end: Date): AsyncGenerator<ContentBlob[]> {
    let url: URL | undefined = this.#url('/subscriptions/content', {
      contentType,
      startTime: apiTime(start),
      endTime: apiTime(end),
    });
    while (url !== undefined) {
      const response = await this.#request('list content', url, 'GET');
      const body: unknown = JSON.parse(response.body);
      if (!Array.isArray(body)) throw this.#shapeError('list content', 'an array of content blobs');
      yield body as ContentBlob[];
      const next = response.headers['nextpageuri'];
      url = typeof next === 'string' && next.trim() !== '' ? this.#ownUrl('list content', next.trim()) : undefined;
    }
  }

  /**
   * Streams the records of one blob as their raw JSON text, retrying the whole blob on a transient failure (the
   * caller's dedupe drops the records it already took from a failed attempt).
   */
  async fetchContent(blob: ContentBlob, onRecord: (record: string) => void | Promise<void>): Promise<void> {
    const url = this.#ownUrl('fetch content', blob.contentUri);
    let renewed = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#streamRecords(url, onRecord);
        return;
      } catch (err) {
        // The caller's own failure (Devo, state) is not a content failure: no retry, no reclassification.
        if (err instanceof RecordHandlerError) throw err.cause;
        const failure = this.#toApiError('fetch content', url, err);
        // got runs no afterResponse hook for streams: renew an expired token here, once.
        if (failure.statusCode === 401 && !renewed) {
          renewed = true;
          this.#options.tokens.invalidate();
          continue;
        }
        const delay = failure.action === 'retry' ? this.#retryDelayFor(attempt, err) : 0;
        if (delay === 0) throw failure;
        this.#options.onRetry?.({
          url: `${url.origin}${url.pathname}`,
          attempt,
          delayMs: delay,
          errorCode: failure.apiCode ?? (err as { code?: string }).code ?? 'ERROR',
          statusCode: failure.statusCode,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #streamRecords(url: URL, onRecord: (record: string) => void | Promise<void>): Promise<void> {
    // HTTP errors are read here rather than thrown by got, so their body (the AF code) can be classified.
    const stream = this.#http.stream(url, { retry: { limit: 0 }, throwHttpErrors: false });
    const splitter = new JsonArraySplitter();
    let response: { statusCode: number; headers: Record<string, string | string[] | undefined> } | undefined;
    stream.once('response', (r: typeof response) => {
      response = r;
    });
    const errorChunks: Buffer[] = [];
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if ((response?.statusCode ?? 200) >= 400) errorChunks.push(chunk);
        else for (const record of splitter.push(chunk)) await deliverRecord(onRecord, record);
      }
    } catch (err) {
      if (err instanceof SyntaxError || err instanceof RecordHandlerError) throw err;
      // A body cut off after a good status is a network failure (retryable), not an HTTP error of that status.
      const e = err as { code?: string; message?: string };
      throw Object.assign(new Error(e.message ?? 'connection lost while reading the response'), {
        code: e.code ?? 'ECONNRESET',
      });
    }
    if (response !== undefined && response.statusCode >= 400) {
      throw Object.assign(new Error(`HTTP ${response.statusCode}`), {
        code: 'ERR_NON_2XX_3XX_RESPONSE',
        response: { statusCode: response.statusCode, headers: response.headers },
        bodyText: Buffer.concat(errorChunks).toString('utf8'),
      });
    }
    splitter.end();
  }

  #retryDelayFor(attempt: number, err: unknown): number {
    const e = err as Partial<RequestError> & { bodyText?: string };
    return retryDelay({
      attemptCount: attempt,
      limit: this.#options.http.retries,
      errorCode: e.code ?? 'ERR_GOT_REQUEST_ERROR',
      statusCode: e.response?.statusCode,
      body: e.bodyText ?? (e.response === undefined ? undefined : responseText(e as RequestError)),
      retryAfterMs: retryAfterMs(e.response?.headers?.['retry-after']),
      maxDelayMs: this.#options.http.maxRetryWaitMs,
      baseDelayMs: this.#options.http.retryWaitMs,
      isRetryableResponse: isRetryableApiResponse,
    });
  }

  async #json(operation: string, url: URL, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
    const response = await this.#request(operation, url, method);
    return response.body === '' ? undefined : JSON.parse(response.body);
  }

  async #request(operation: string, url: URL, method: 'GET' | 'POST') {
    try {
      return await this.#http(url, { method });
    } catch (err) {
      throw this.#toApiError(operation, url, err);
    }
  }

  #url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(`${this.#feed}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    url.searchParams.set('PublisherIdentifier', this.#options.tenantId);
    return url;
  }

  /** A URL the API handed us (next page, content): used verbatim, on our API origin only, with our publisher ID. */
  #ownUrl(operation: string, text: string): URL {
    const url = new URL(text);
    if (url.origin !== this.#origin) {
      throw this.#error(
        operation,
        url,
        'fatal',
        undefined,
        undefined,
        `the API returned a URL on another host (${url.origin}); it was not followed and no token was sent to it`,
      );
    }
    if (!url.searchParams.has('PublisherIdentifier'))
      url.searchParams.set('PublisherIdentifier', this.#options.tenantId);
    return url;
  }

  #toApiError(operation: string, url: URL, err: unknown): ManagementApiError {
    if (isManagementApiError(err)) return err;
    if (err instanceof SyntaxError)
      return this.#error(operation, url, 'retry', undefined, undefined, `malformed response: ${err.message}`);
    if (isHostNotAllowed(err)) return this.#error(operation, url, 'fatal', undefined, undefined, err.message);
    const e = err as Partial<RequestError> & { bodyText?: string };
    const statusCode = e.response?.statusCode;
    const body = e.bodyText ?? (e.response === undefined ? undefined : responseText(e as RequestError));
    const api = parseApiError(body);
    const action = statusCode === undefined ? 'retry' : classifyApiError(statusCode, body);
    const what =
      api === undefined
        ? statusCode === undefined
          ? `${e.code ?? 'network error'}: ${e.message ?? ''}`
          : `HTTP ${statusCode}`
        : `${api.code} ${api.message}${OPERATOR_HINTS[api.code] === undefined ? '' : ` (to fix: ${OPERATOR_HINTS[api.code]})`}`;
    // No `cause`: got's error holds the request options, bearer token included.
    return this.#error(operation, url, action, api?.code, statusCode, what);
  }

  #error(
    operation: string,
    url: URL,
    action: ErrorAction,
    apiCode: string | undefined,
    statusCode: number | undefined,
    detail: string,
  ): ManagementApiError {
    const error = new Error(`Management API ${operation} failed: ${detail}`) as ManagementApiError;
    error.code = MANAGEMENT_API_ERROR;
    error.operation = operation;
    error.action = action;
    error.apiCode = apiCode;
    error.statusCode = statusCode;
    error.url = `${url.origin}${url.pathname}`;
    return error;
  }

  #shapeError(operation: string, expected: string): ManagementApiError {
    return this.#error(
      operation,
      new URL(this.#feed),
      'retry',
      undefined,
      undefined,
      `the response was not ${expected}`,
    );
  }
}

/** Marks a failure of the caller's record handler, so it passes through the fetch's retry logic untouched. */
class RecordHandlerError extends Error {}

async function deliverRecord(onRecord: (record: string) => void | Promise<void>, record: string): Promise<void> {
  try {
    await onRecord(record);
  } catch (cause) {
    throw new RecordHandlerError('record handler failed', { cause });
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
