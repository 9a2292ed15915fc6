/**
 * Management Activity API error codes and what to do about each. Microsoft answers with
 * `{"error":{"code":"AFxxxxx","message":"..."}}`, sometimes under a status that does not match the code (a throttle
 * arrives as HTTP 403), so decisions are made on the body code first and the status second.
 */

export type ErrorAction =
  /** Wrong configuration or a bug: stop this function and tell the operator. */
  | 'fatal'
  /** Transient: back off and try again. */
  | 'retry'
  /** The subscription is missing or disabled: start it, then list again. */
  | 'start-subscription'
  /** The blob expired (AF20051): it can never be fetched again, so it is counted as lost. */
  | 'content-gone'
  /** The run's time budget ended before the request could succeed: leave the work for the next run. */
  | 'deadline'
  /** The window is outside what the API serves: clamp it and list again, never loop on it. */
  | 'window-rejected'
  /** Nothing wrong (a subscription that is already enabled). */
  | 'ok';

const ACTIONS: Readonly<Record<string, ErrorAction>> = {
  AF10001: 'fatal',
  AF20001: 'fatal',
  AF20002: 'fatal',
  AF20003: 'fatal',
  AF20010: 'fatal',
  AF20011: 'fatal',
  AF20012: 'fatal',
  AF20013: 'fatal',
  AF20020: 'fatal',
  AF20021: 'fatal',
  AF20022: 'start-subscription',
  AF20023: 'start-subscription',
  AF20024: 'ok',
  AF20030: 'window-rejected',
  AF20031: 'window-rejected',
  // Not there (yet) or refused: a blob listed before it is readable answers AF20050 for a while, so these join the
  // retry list until the blob's contentExpiration instead of being declared lost.
  AF20050: 'fatal',
  AF20051: 'content-gone',
  AF20052: 'fatal',
  AF20055: 'window-rejected',
  AF429: 'retry',
  AF50000: 'retry',
  AF50005: 'retry',
  AF50006: 'retry',
};

/**
 * Codes that concern the whole tenant or this function's subscription, not one blob: every other request would fail
 * the same way, so the run stops (after saving what it finished) instead of filling the retry list.
 */
export const TENANT_WIDE_CODES: ReadonlySet<string> = new Set([
  'AF10001',
  'AF20010',
  'AF20011',
  'AF20012',
  'AF20013',
  'AF20022',
  'AF20023',
]);

/** What an operator should do, for the fatal codes whose fix is theirs. */
export const OPERATOR_HINTS: Readonly<Record<string, string>> = {
  AF10001:
    'grant the app the Office 365 Management APIs application permission ActivityFeed.Read (and ActivityFeed.ReadDlp for DLP.All) and give admin consent',
  AF20010: 'O365_TENANT_ID must be the tenant the app registration and its token belong to',
  AF20011: 'the tenant does not exist for this API: check O365_TENANT_ID and that unified audit logging is turned on',
  AF20012:
    'the tenant is not set up for the Management Activity API: turn on unified audit logging (it can take 60 minutes)',
  AF20013: 'O365_TENANT_ID must be the tenant GUID',
};

export interface ApiErrorBody {
  code: string;
  message: string;
}

/** Reads `{"error":{"code","message"}}` from a response body; undefined for anything else. */
export function parseApiError(body: string | undefined): ApiErrorBody | undefined {
  if (body === undefined || body === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code !== 'string') return undefined;
    return { code: error.code, message: typeof error.message === 'string' ? error.message : '' };
  } catch {
    return undefined;
  }
}

/** The action for a failed response. Unknown 4xx codes are fatal (a retry would fail the same way); 5xx retry. */
export function classifyApiError(statusCode: number | undefined, body: string | undefined): ErrorAction {
  const code = parseApiError(body)?.code;
  const known = code === undefined ? undefined : ACTIONS[code];
  if (known !== undefined) return known;
  if (statusCode === undefined || statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'retry';
  if (statusCode === 401) return 'retry';
  return 'fatal';
}

/** For the shared HTTP client: responses worth retrying although their status alone would not say so. */
export function isRetryableApiResponse(statusCode: number, body: string): boolean {
  return classifyApiError(statusCode, body) === 'retry' && statusCode !== 401;
}
