import { DevoError, type DevoStep } from './errors.ts';

/** OpenSSL verification results meaning our side does not trust the server certificate. */
const SERVER_VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** TLS alerts a server sends when it refuses the client certificate. */
const CLIENT_CERT_ALERTS = new Set([
  'UNKNOWN_CA',
  'BAD_CERTIFICATE',
  'CERTIFICATE_REQUIRED',
  'CERTIFICATE_UNKNOWN',
  'CERTIFICATE_REVOKED',
  'CERTIFICATE_EXPIRED',
  'UNSUPPORTED_CERTIFICATE',
  'ACCESS_DENIED',
]);

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA']);

/** The TLS alert name inside an OpenSSL error code, e.g. `UNKNOWN_CA` from `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`. */
export function tlsAlertName(code: string): string | undefined {
  return /_ALERT_([A-Z0-9_]+)$/.exec(code)?.[1];
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns a socket-level failure into a typed Devo error that says, in plain words, which step failed and why.
 * `step` is what the connection was doing when the error arrived.
 */
export function classifySocketError(err: unknown, step: DevoStep, endpoint: string): DevoError {
  if (err instanceof DevoError) return err;
  const osCode = codeOf(err);
  const reason = `${reasonOf(err)} (${osCode})`;
  const base = { step, osCode, endpoint, cause: err };
  const alert = tlsAlertName(osCode);

  if (alert !== undefined && CLIENT_CERT_ALERTS.has(alert)) {
    return new DevoError(
      'DEVO_TLS_CLIENT_REJECTED',
      `${endpoint} rejected our client certificate (TLS alert ${alert.toLowerCase()}): check that the Devo ` +
        `domain certificate and key are current and belong to this Devo domain [${reason}]`,
      { ...base, retriable: false },
    );
  }
  if (SERVER_VERIFY_CODES.has(osCode)) {
    return new DevoError(
      'DEVO_TLS_SERVER_UNTRUSTED',
      `certificate verification failed: our side could not verify the server certificate of ${endpoint} ` +
        `against the configured Devo CA chain [${reason}]`,
      { ...base, retriable: false },
    );
  }
  if (DNS_CODES.has(osCode) || (err as { syscall?: string }).syscall === 'getaddrinfo') {
    return new DevoError('DEVO_DNS_FAILED', `DNS lookup of ${endpoint} failed [${reason}]`, {
      ...base,
      step: 'dns',
      retriable: true,
    });
  }
  switch (step) {
    case 'settings':
    case 'dns':
    case 'tcp':
      return new DevoError('DEVO_CONNECT_FAILED', `TCP connection to ${endpoint} failed [${reason}]`, {
        ...base,
        retriable: true,
      });
    case 'tls':
      return new DevoError(
        'DEVO_TLS_HANDSHAKE_FAILED',
        alert !== undefined
          ? `TLS handshake with ${endpoint} failed: the server sent alert ${alert.toLowerCase()} [${reason}]`
          : `TLS handshake with ${endpoint} failed; the server ended the session before it was established ` +
              `(it may have refused our client certificate) [${reason}]`,
        { ...base, retriable: alert === undefined },
      );
    case 'write':
      return new DevoError('DEVO_CONNECTION_LOST', `connection to ${endpoint} lost while sending [${reason}]`, {
        ...base,
        retriable: true,
      });
    case 'confirm':
      return new DevoError(
        'DEVO_FLUSH_FAILED',
        `connection to ${endpoint} failed before the server confirmed delivery [${reason}]`,
        { ...base, retriable: true },
      );
  }
}
