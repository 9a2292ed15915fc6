import type { TokenSource } from '../auth/index.ts';
import type { HttpSettings } from '../config/index.ts';
import {
  createHttpClient,
  isHttpFailure,
  jsonBody,
  type HttpBudget,
  type HttpClient,
  type RateLimiter,
  type AttemptEvent,
  type RetryEvent,
} from '../http/index.ts';

export type TraceRow = Record<string, unknown>;

/** Reads message trace rows for a time window, page by page. */
export interface TraceSource {
  readonly api: 'graph' | 'rws';
  /** The window's rows page by page; `more` tells whether another page follows. */
  listWindow(start: Date, end: Date): AsyncGenerator<{ rows: TraceRow[]; more: boolean }>;
}

export const MESSAGE_TRACE_API_ERROR = 'MESSAGE_TRACE_API_ERROR';

export interface MessageTraceApiError extends Error {
  code: typeof MESSAGE_TRACE_API_ERROR;
  statusCode: number | undefined;
  url: string;
  /** The request may succeed later (it failed after all retries in place, or the run ran out of time). */
  transient: boolean;
}

export function isMessageTraceApiError(err: unknown): err is MessageTraceApiError {
  return err instanceof Error && (err as { code?: unknown }).code === MESSAGE_TRACE_API_ERROR;
}

export interface TraceClientOptions {
  api: 'graph' | 'rws';
  url: string;
  tokens: TokenSource;
  http: HttpSettings;
  /**
   * A request budget of the caller's own, which wins over `http.requestsPerSecond`: for Graph, the one of at most
   * 100 requests per 5 minutes per tenant that back-to-back runs share (see graph-budget.ts).
   */
  rateLimiter?: RateLimiter;
  budget?: HttpBudget;
  onRetry?: (event: RetryEvent) => void;
  onRequest?: (url: URL) => void;
  onAttempt?: (event: AttemptEvent) => void;
}

/** Graph `$top` maximum: fewer pages means fewer requests against the 5-minute budget. */
export const GRAPH_PAGE_SIZE = 5000;
export const RWS_PATH = '/ecp/reportingwebservice/reporting.svc/MessageTrace';
export const GRAPH_PATH = '/v1.0/admin/exchange/tracing/messageTraces';
/** Microsoft's app that must have a service principal in the tenant before Graph message trace answers. */
export const MESSAGE_TRACE_APP_ID = '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373';

const isoSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** The first page's URL of a window for each back end. */
export function windowUrl(api: 'graph' | 'rws', base: string, start: Date, end: Date): URL {
  const origin = new URL(base).origin;
  if (api === 'graph') {
    const url = new URL(`${origin}${GRAPH_PATH}`);
    url.searchParams.set(
      '$filter',
      `receivedDateTime ge ${isoSeconds(start)} and receivedDateTime le ${isoSeconds(end)}`,
    );
    url.searchParams.set('$top', String(GRAPH_PAGE_SIZE));
    return url;
  }
  const url = new URL(`${origin}${RWS_PATH}`);
  url.searchParams.set(
    '$filter',
    `StartDate eq datetime'${isoSeconds(start)}' and EndDate eq datetime'${isoSeconds(end)}'`,
  );
  url.searchParams.set('$format', 'json');
  return url;
}

/** Rows and next link of one page, in any of the shapes the two services answer with. */
export function readPage(
  api: 'graph' | 'rws',
  body: unknown,
): { rows: TraceRow[]; next: string | undefined } | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown> & { d?: unknown };
  const d = b.d as (Record<string, unknown> & { results?: unknown; __next?: unknown }) | unknown[] | undefined;
  const rows = Array.isArray(b.value)
    ? b.value
    : Array.isArray(d)
      ? d
      : Array.isArray(d?.results)
        ? d.results
        : undefined;
  if (rows === undefined) return undefined;
  const nextCandidates =
    api === 'graph'
      ? [b['@odata.nextLink']]
      : [b['odata.nextLink'], b['@odata.nextLink'], Array.isArray(d) ? undefined : d?.__next];
  const next = nextCandidates.find((n): n is string => typeof n === 'string' && n.trim() !== '');
  return { rows: rows as TraceRow[], next: next?.trim() };
}

/**
 * Message trace over Graph or the Reporting Web Service. Next links are followed as given (RWS sends relative ones,
 * resolved against the request URL) and only on the configured host: the token never goes anywhere else.
 */
export function createTraceClient(options: TraceClientOptions): TraceSource {
  const origin = new URL(options.url).origin;
  const http: HttpClient = createHttpClient({
    isRetryableResponse: isThrottleAnswer,
    allowedOrigins: [origin],
    bearer: { origin, getToken: () => options.tokens.getToken(), invalidate: () => options.tokens.invalidate() },
    timeoutMs: options.http.timeoutMs,
    retryLimit: options.http.retries,
    baseRetryDelayMs: options.http.retryWaitMs,
    maxRetryDelayMs: options.http.maxRetryWaitMs,
    ...(options.rateLimiter !== undefined
      ? { rateLimiter: options.rateLimiter }
      : options.http.requestsPerSecond === undefined
        ? {}
        : { requestsPerSecond: options.http.requestsPerSecond }),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
  });

  const fail = (url: URL, statusCode: number | undefined, detail: string, transient = false): MessageTraceApiError => {
    const error = new Error(`Message trace (${options.api}) request failed: ${detail}`) as MessageTraceApiError;
    error.code = MESSAGE_TRACE_API_ERROR;
    error.statusCode = statusCode;
    error.url = `${url.origin}${url.pathname}`;
    error.transient = transient;
    return error;
  };
  // A page whose JSON has no rows array is a broken answer (an error page, a cut body): retried like a 5xx.
  const pageBody = jsonBody((body) => readPage(options.api, body), 'a page of message trace rows');
  // Without the Prefer header Graph reports a recalled message as `unknownFutureValue`.
  const headers: Record<string, string> =
    options.api === 'graph'
      ? { accept: 'application/json', prefer: 'include-unknown-enum-members' }
      : { accept: 'application/json' };

  const page = async (url: URL): Promise<{ rows: TraceRow[]; next: string | undefined }> => {
    try {
      return (await http.fetch({ url, headers }, pageBody)).value;
    } catch (err) {
      if (!isHttpFailure(err)) throw err;
      const tries = err.attempts > 1 ? ` after ${err.attempts} attempts` : '';
      const detail = err.reason === 'status' ? explain(options.api, err.statusCode ?? 0, err.bodyText) : err.message;
      throw fail(url, err.statusCode, `${detail}${tries}`, err.transient || err.reason === 'deadline');
    }
  };

  return {
    api: options.api,
    async *listWindow(start, end) {
      let url: URL | undefined = windowUrl(options.api, options.url, start, end);
      while (url !== undefined) {
        const current: URL = url;
        const { rows, next } = await page(current);
        yield { rows, more: next !== undefined };
        url = next === undefined ? undefined : new URL(next, current);
        if (url !== undefined && url.origin !== origin) {
          throw fail(
            url,
            undefined,
            `the next-page link points at another host (${url.origin}); it was not followed and no token was sent to it`,
          );
        }
      }
    },
  };
}

/** A throttle whatever its status: front ends have answered message trace throttling with a 403 `TooManyRequests`. */
function isThrottleAnswer(_statusCode: number, body: string): boolean {
  return /^(TooManyRequests|ThrottledRequest)\b/i.test(errorSummary(body));
}

/** What a failed status means for the operator, with the setup steps the reference names. */
function explain(api: 'graph' | 'rws', status: number, body: string | undefined): string {
  // Only the error envelope's code and message: the rest of a body can hold row data.
  const said = errorSummary(body);
  const detail = said === '' ? '' : ` ${said}`;
  if (api === 'graph' && status === 401 && /service principal/i.test(said)) {
    return `HTTP 401: the tenant has no service principal for Microsoft's message trace app ${MESSAGE_TRACE_APP_ID} yet. Create it (az ad sp create --id ${MESSAGE_TRACE_APP_ID}) and allow a few hours to propagate.`;
  }
  if (api === 'graph' && status === 403)
    return `HTTP 403: grant the application permission ExchangeMessageTrace.Read.All with admin consent.${detail}`;
  if (api === 'rws' && status === 403)
    return `HTTP 403: the app needs ReportingWebService.Read.All and an Entra role such as Global Reader.${detail}`;
  return `HTTP ${status}${detail}`;
}

/** `code: message` of a Graph error envelope or an OData v3 error, at most 200 characters; '' for anything else. */
export function errorSummary(body: string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return '';
  }
  const root = (parsed ?? {}) as { error?: unknown; 'odata.error'?: unknown };
  const e = (root.error ?? root['odata.error']) as { code?: unknown; message?: unknown } | undefined;
  if (e === undefined || e === null || typeof e !== 'object') return '';
  const message = typeof e.message === 'string' ? e.message : (e.message as { value?: unknown } | undefined)?.value;
  const text = [e.code, message].filter((v): v is string => typeof v === 'string').join(': ');
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
