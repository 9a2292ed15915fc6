/**
 * The legacy collector's `ApiError` IDs for Management API failures. SOC runbooks and Devo alerts written for the
 * legacy collector search for these IDs, so every failure that ends a request's retries carries one beside the AF code.
 */

export type LegacyApiErrorId = 400 | 401 | 402 | 403;

/** What a failure looks like to the ID decision: its final status and the AF code of its body, if any. */
export interface FailureFacts {
  statusCode: number | undefined;
  apiCode: string | undefined;
}

/**
 * The legacy ID of a failed request, or undefined when no HTTP answer came back (network, time-out, refused host):
 * the legacy collector had no ApiError for those either. Throttling arrives as 429 or as AF429 under another status,
 * and counts as 402 like server errors: both only reach the operator after all retries were spent.
 */
export function legacyApiErrorId(failure: FailureFacts): LegacyApiErrorId | undefined {
  const status = failure.statusCode;
  if (status === undefined) return undefined;
  if (status === 429 || failure.apiCode === 'AF429' || status >= 500) return 402;
  if (status === 400) return 400;
  if (status === 401) return 401;
  return 403;
}

/** One line of cause and one of fix per ID, as the README's error table lists them. */
export const LEGACY_API_ERRORS: Readonly<Record<LegacyApiErrorId, { cause: string; fix: string }>> = {
  400: {
    cause: 'the API refused the request as malformed (a time window it does not serve, an unknown content type)',
    fix: 'check MANAGEMENT_START_TIME and the AF code beside it; if the settings are right, report it with the log line',
  },
  401: {
    cause: 'the API did not accept the access token',
    fix: 'check O365_TENANT_ID, O365_CLIENT_ID and the secret or certificate, and that ActivityFeed.Read has admin consent',
  },
  402: {
    cause: 'the API kept throttling (429) or failing with server errors (5xx) after every retry',
    fix: 'nothing is lost, the next run continues; if it persists lower REQUESTS_PER_SECOND or MANAGEMENT_FETCH_CONCURRENCY',
  },
  403: {
    cause: 'the API answered with a status the collector does not handle',
    fix: 'read the status and AF code beside the ID; if it persists, report it with the log line',
  },
};

/** The prefix of a failure's message: `ApiError 402`, or nothing when the failure has no legacy ID. */
export function legacyPrefix(id: LegacyApiErrorId | undefined): string {
  return id === undefined ? '' : `ApiError ${id}: `;
}
