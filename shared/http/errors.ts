/** Errors raised by our HTTP layer itself (got's own errors keep got's codes). */
export const HOST_NOT_ALLOWED = 'HTTP_HOST_NOT_ALLOWED';

export interface HostNotAllowedError extends Error {
  code: typeof HOST_NOT_ALLOWED;
  url: string;
  allowedOrigins: readonly string[];
}

export function hostNotAllowed(url: URL, allowedOrigins: readonly string[]): HostNotAllowedError {
  const error = new Error(
    `Refused to send a request to ${url.origin}: only ${allowedOrigins.join(', ')} may receive our requests and token.`,
  ) as HostNotAllowedError;
  error.code = HOST_NOT_ALLOWED;
  error.url = `${url.origin}${url.pathname}`;
  error.allowedOrigins = allowedOrigins;
  return error;
}

/** True for our allow-list refusal, whether thrown directly or wrapped by got. */
export function isHostNotAllowed(err: unknown): err is Error & { code: typeof HOST_NOT_ALLOWED } {
  return err instanceof Error && (err as { code?: unknown }).code === HOST_NOT_ALLOWED;
}
