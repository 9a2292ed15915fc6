import {
  createHttpClient,
  isHttpFailure,
  jsonBody,
  type HttpBudget,
  type HttpClient,
  type HttpFailure,
  type AttemptEvent,
  type RetryEvent,
} from '../http/index.ts';
import type { HttpSettings } from '../config/index.ts';
import type { TokenSource } from '../auth/index.ts';
import {
  OPERATOR_HINTS,
  classifyApiError,
  isRetryableApiResponse,
  parseApiError,
  type ErrorAction,
} from './api-errors.ts';
import { maskGuids } from '../telemetry/traces.ts';
import { JsonArraySplitter } from './json-array-splitter.ts';
import { queueRecords } from './queue-records.ts';
import { LEGACY_API_ERRORS, legacyApiErrorId, legacyPrefix, type LegacyApiErrorId } from './legacy-ids.ts';

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
  /** Attempts made before giving up (retries in place included). */
  attempts: number;
  /** The legacy collector's `ApiError` ID (also the message's prefix); undefined when no HTTP answer came back. */
  legacyId: LegacyApiErrorId | undefined;
}

export function isManagementApiError(err: unknown): err is ManagementApiError {
  return err instanceof Error && (err as { code?: unknown }).code === MANAGEMENT_API_ERROR;
}

export interface ManagementClientOptions {
  apiUrl: string;
  tenantId: string;
  tokens: TokenSource;
  http: HttpSettings;
  budget?: HttpBudget;
  onRetry?: (event: RetryEvent) => void;
  onRequest?: (url: URL) => void;
  onAttempt?: (event: AttemptEvent) => void;
}

/** `2026-11-20T10:00:00`: the API's UTC format, seconds precision. */
export const apiTime = (date: Date): string => date.toISOString().slice(0, 19);

/**
 * The Management Activity API for one tenant. Every request carries `PublisherIdentifier` (the tenant's own quota) and
 * goes only to the configured API origin: a next-page or content URL on another host is refused, and the token with it.
 * Transient failures (throttling, 5xx, resets, stalls, bodies cut short or not the promised JSON) are retried in place
 * by the shared HTTP layer; what is left reaches the caller as a `ManagementApiError` with what to do about it.
 */
export class ManagementClient {
  readonly #options: ManagementClientOptions;
  readonly #http: HttpClient;
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
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
    });
  }

  async listSubscriptions(): Promise<Subscription[]> {
    const { value } = await this.#call('list subscriptions', { url: this.#url('/subscriptions/list') }, arrayOf);
    return value as Subscription[];
  }

  /** Starts a subscription; `already-enabled` when Microsoft answers AF20024. */
  async startSubscription(contentType: string): Promise<'started' | 'already-enabled'> {
    try {
      await this.#call(
        'start subscription',
        { url: this.#url('/subscriptions/start', { contentType }), method: 'POST' },
        (v) => v ?? {},
      );
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
      const page: { value: unknown[]; response: { headers: Record<string, string | string[] | undefined> } } =
        await this.#call('list content', { url }, arrayOf);
      yield page.value as ContentBlob[];
      const next = page.response.headers['nextpageuri'];
      url = typeof next === 'string' && next.trim() !== '' ? this.#ownUrl('list content', next.trim()) : undefined;
    }
  }

  /**
   * Streams the records of one blob as their raw JSON bytes (views of the response chunks, never reused). A transient failure fetches the whole blob again, so
   * records of a failed attempt reach `onRecord` twice: the caller's dedupe filter drops the repeats.
   */
  async fetchContent(blob: Pick<ContentBlob, 'contentUri'>, onRecord: (record: Buffer) => void | Promise<void>) {
    const url = this.#ownUrl('fetch content', blob.contentUri);
    await this.#call('fetch content', { url }, undefined, () => {
      const splitter = new JsonArraySplitter();
      return {
        // Synchronous unless a record must wait for a delivery: a promise from every chunk made the HTTP reader pause
        // and resume the response, and re-arm its timer, tens of thousands of times a catch-up.
        chunk: (data: Buffer) => queueRecords(splitter.push(data), onRecord),
        end: () => splitter.end(),
      };
    });
  }

  async #call<T>(
    operation: string,
    request: { url: URL; method?: 'GET' | 'POST' },
    accept: ((value: unknown) => T | undefined) | undefined,
    reader?: Parameters<HttpClient['fetch']>[1],
  ) {
    try {
      return (await this.#http.fetch(
        request,
        reader ?? jsonBody(accept ?? (() => undefined), 'the JSON expected'),
      )) as {
        value: T;
        response: { headers: Record<string, string | string[] | undefined> };
      };
    } catch (err) {
      throw this.#toApiError(operation, request.url, err);
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
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw this.#error(
        operation,
        new URL(this.#feed),
        'fatal',
        undefined,
        undefined,
        'the API returned no usable URL',
      );
    }
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

  #toApiError(operation: string, url: URL, err: unknown): unknown {
    if (isManagementApiError(err) || !isHttpFailure(err)) return err;
    const failure: HttpFailure = err;
    const api = parseApiError(failure.bodyText);
    const action: ErrorAction =
      failure.reason === 'deadline'
        ? 'deadline'
        : failure.reason === 'refused'
          ? 'fatal'
          : failure.statusCode === undefined
            ? 'retry'
            : classifyApiError(failure.statusCode, failure.bodyText);
    const hint = api === undefined ? undefined : OPERATOR_HINTS[api.code];
    // Microsoft's messages quote the tenant ID (`PublisherId=<GUID>`); logs carry it masked only.
    const what = maskGuids(api === undefined ? failure.message : `${api.code} ${api.message}`);
    const tries = failure.attempts > 1 ? ` after ${failure.attempts} attempts` : '';
    const legacyId =
      action === 'ok' ? undefined : legacyApiErrorId({ statusCode: failure.statusCode, apiCode: api?.code });
    // The AF code's own hint is more precise than the legacy ID's generic one, so only one of them is shown.
    const legacy = legacyId === undefined ? undefined : LEGACY_API_ERRORS[legacyId];
    const advice =
      hint !== undefined
        ? ` (to fix: ${hint})`
        : legacy !== undefined
          ? ` (cause: ${legacy.cause}; to fix: ${legacy.fix})`
          : '';
    const error = this.#error(operation, url, action, api?.code, failure.statusCode, `${what}${tries}${advice}`);
    error.attempts = failure.attempts;
    if (legacyId !== undefined) {
      error.legacyId = legacyId;
      error.message = `${legacyPrefix(legacyId)}${error.message}`;
    }
    return error;
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
    error.attempts = 1;
    error.legacyId = undefined;
    return error;
  }
}

const arrayOf = (value: unknown): unknown[] | undefined => (Array.isArray(value) ? value : undefined);
