/**
 * Token failures, with the legacy collectors' `SetupError` IDs: 100 the authority refused our credentials (HTTP 401),
 * 101 the token request failed with another status, 102 it failed unexpectedly (network, TLS, a bug).
 */
export const SETUP_ERROR = 'SETUP_ERROR';

export interface SetupError extends Error {
  code: typeof SETUP_ERROR;
  errorType: 'SetupError';
  errorId: 100 | 101 | 102;
  statusCode: number | undefined;
}

export function isSetupError(err: unknown): err is SetupError {
  return err instanceof Error && (err as { code?: unknown }).code === SETUP_ERROR;
}

/** Turns whatever the credential threw into a SetupError that says what to check; never includes the secret. */
export function toSetupError(err: unknown, authorityHost: string): SetupError {
  const e = err as { statusCode?: unknown; response?: { statusCode?: unknown } };
  const statusCode = e.statusCode ?? e.response?.statusCode;
  const status = typeof statusCode === 'number' ? statusCode : undefined;
  const detail = (err as { errorResponse?: { error?: string; errorDescription?: string } }).errorResponse;
  // MSAL failures arrive as `invalid_client: Error(s): 7000215 ...` without a status; read the OAuth error code.
  const oauthCode = detail?.error ?? /^([a-z_]+): /.exec(err instanceof Error ? err.message : '')?.[1];
  const reason =
    (detail?.errorDescription ?? (err instanceof Error ? err.message : '')).split('\n')[0]?.slice(0, 200) ?? '';
  const [errorId, text] =
    status === 401 || oauthCode === 'invalid_client' || oauthCode === 'unauthorized_client'
      ? ([
          100,
          `${authorityHost} refused the app's credentials (HTTP ${status ?? 401}${reason ? `, ${reason}` : ''}). Check O365_TENANT_ID, O365_CLIENT_ID and that O365_CLIENT_SECRET (or O365_CLIENT_CERTIFICATE) is current.`,
        ] as const)
      : status !== undefined
        ? ([
            101,
            `the token request to ${authorityHost} failed with HTTP ${status ?? 400}${reason ? ` (${reason})` : ''}. Check O365_AUTHORITY_HOST and O365_CLOUD.`,
          ] as const)
        : ([
            102,
            `the token request to ${authorityHost} failed unexpectedly: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
          ] as const);
  // No `cause`: a failed token request's error can hold the request, client secret included.
  const error = new Error(`SetupError ${errorId}: ${text}`) as SetupError;
  error.code = SETUP_ERROR;
  error.errorType = 'SetupError';
  error.errorId = errorId;
  error.statusCode = status;
  return error;
}
