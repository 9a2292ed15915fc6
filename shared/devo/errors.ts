/** Machine-readable codes of every failure the Devo sender reports. */
export type DevoErrorCode =
  | 'DEVO_OPTIONS_INVALID'
  | 'DEVO_TAG_INVALID'
  | 'DEVO_MESSAGE_INVALID'
  | 'DEVO_TLS_MISSING_CREDENTIALS'
  | 'DEVO_TLS_BAD_CREDENTIALS'
  | 'DEVO_DNS_FAILED'
  | 'DEVO_CONNECT_FAILED'
  | 'DEVO_CONNECT_TIMEOUT'
  | 'DEVO_TLS_HANDSHAKE_FAILED'
  /** Our side could not verify the server certificate against the configured chain. */
  | 'DEVO_TLS_SERVER_UNTRUSTED'
  /** The server refused our client certificate. */
  | 'DEVO_TLS_CLIENT_REJECTED'
  /** The connection was closed or reset while data was being written. */
  | 'DEVO_CONNECTION_LOST'
  | 'DEVO_WRITE_TIMEOUT'
  /** The connection failed during the closing handshake that confirms delivery. */
  | 'DEVO_FLUSH_FAILED'
  /** The server did not close its side within `closeTimeoutMs` of our half-close: delivery unconfirmed. */
  | 'DEVO_CONFIRM_TIMEOUT'
  | 'DEVO_SENDER_CLOSED';

/** Where in the life of a connection a failure happened. */
export type DevoStep = 'settings' | 'dns' | 'tcp' | 'tls' | 'write' | 'confirm';

export interface DevoErrorDetails {
  step?: DevoStep;
  /** Whether a new connection attempt may succeed; deterministic failures (bad certificates) are not retried. */
  retriable?: boolean;
  /** The low-level code (OpenSSL / libuv) behind the failure, e.g. `ECONNRESET`, `UNABLE_TO_GET_ISSUER_CERT`. */
  osCode?: string;
  tag?: string;
  endpoint?: string;
  attempts?: number;
  cause?: unknown;
}

/** The single error type of the Devo sender; distinguish failures by `code`, never by subclass. */
export class DevoError extends Error {
  readonly code: DevoErrorCode;
  readonly step: DevoStep | undefined;
  readonly retriable: boolean;
  readonly osCode: string | undefined;
  readonly tag: string | undefined;
  readonly endpoint: string | undefined;
  /** Connection attempts made before giving up (set on errors returned by flush and the background writer). */
  attempts: number | undefined;

  constructor(code: DevoErrorCode, message: string, details: DevoErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DevoError';
    this.code = code;
    this.step = details.step;
    this.retriable = details.retriable ?? false;
    this.osCode = details.osCode;
    this.tag = details.tag;
    this.endpoint = details.endpoint;
    this.attempts = details.attempts;
  }
}

/** True for any Devo sender error, or for one with the given code. */
export function isDevoError(value: unknown, code?: DevoErrorCode): value is DevoError {
  return value instanceof DevoError && (code === undefined || value.code === code);
}

/** True when the server or our side refused the TLS session because of a certificate. */
export function isDevoCertificateError(value: unknown): value is DevoError {
  return isDevoError(value, 'DEVO_TLS_SERVER_UNTRUSTED') || isDevoError(value, 'DEVO_TLS_CLIENT_REJECTED');
}

/** True when the failure came from the network or the server and a later attempt may succeed. */
export function isDevoTransientError(value: unknown): value is DevoError {
  return isDevoError(value) && value.retriable;
}
