/** Machine-readable reasons a state operation failed. */
export type StateErrorCode =
  /** Another writer changed (or created, or removed) the record since it was read: re-read, never overwrite. */
  | 'STATE_CONFLICT'
  /** The value does not fit the storage limits. */
  | 'STATE_TOO_LARGE'
  /** Stored data was written by a newer persistence version than this code understands. */
  | 'STATE_VERSION_UNSUPPORTED'
  /** Stored data is older than the current version and could not be upgraded. */
  | 'STATE_UPGRADE_FAILED'
  /** Stored data cannot be read back (missing parts, bad JSON, bad version). */
  | 'STATE_CORRUPT'
  /** The record name cannot be used as a key. */
  | 'STATE_INVALID_NAME'
  /** A function lock's Blob lease was lost (refused renewal, broken, taken, expired) or released: stop writing. */
  | 'STATE_LEASE_LOST';

/** Where the failure happened; never holds secrets or values. */
export interface StateErrorContext {
  /** `cursor` (Table entity) or `blob`. */
  store: 'cursor' | 'blob';
  /** Function / record name. */
  name: string;
  [key: string]: string | number | boolean | undefined;
}

export interface StateError extends Error {
  code: StateErrorCode;
  context: StateErrorContext;
}

/** Builds a state error; `cause` keeps the SDK error for diagnostics. */
export function stateError(
  code: StateErrorCode,
  message: string,
  context: StateErrorContext,
  cause?: unknown,
): StateError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as StateError;
  err.name = 'StateError';
  err.code = code;
  err.context = context;
  return err;
}

const CODES: ReadonlySet<string> = new Set<StateErrorCode>([
  'STATE_CONFLICT',
  'STATE_TOO_LARGE',
  'STATE_VERSION_UNSUPPORTED',
  'STATE_UPGRADE_FAILED',
  'STATE_CORRUPT',
  'STATE_INVALID_NAME',
  'STATE_LEASE_LOST',
]);

/** True for any error raised by the state stores. */
export function isStateError(err: unknown): err is StateError {
  return (
    err instanceof Error &&
    typeof (err as Partial<StateError>).code === 'string' &&
    CODES.has((err as StateError).code) &&
    typeof (err as Partial<StateError>).context === 'object'
  );
}

/** True when a conditional write lost against a concurrent writer (the caller must not retry blindly). */
export function isStateConflict(err: unknown): err is StateError & { code: 'STATE_CONFLICT' } {
  return isStateError(err) && err.code === 'STATE_CONFLICT';
}

/** True when a function lock is no longer held: the run must stop before its next write. */
export function isLeaseLost(err: unknown): err is StateError & { code: 'STATE_LEASE_LOST' } {
  return isStateError(err) && err.code === 'STATE_LEASE_LOST';
}

/** HTTP status of an Azure SDK `RestError`, if that is what `err` is. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Service error code (`BlobNotFound`, `TableNotFound`, ...) of an Azure SDK error, if present. */
export function serviceErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, details } = err as {
    code?: unknown;
    details?: { errorCode?: unknown; odataError?: { code?: unknown } };
  };
  for (const candidate of [code, details?.errorCode, details?.odataError?.code]) {
    if (typeof candidate === 'string') return candidate;
  }
  return undefined;
}

/**
 * True when a 404 means the record itself is absent. A missing table or container is a deployment problem:
 * reading it as "no state yet" would silently restart cursors and empty the dedupe filters.
 */
export function isRecordNotFound(err: unknown): boolean {
  const code = serviceErrorCode(err);
  return httpStatusOf(err) === 404 && code !== 'TableNotFound' && code !== 'ContainerNotFound';
}

/**
 * After a conditional write failed: a writer that created the record first (409 with `alreadyExistsCode`), changed it
 * (412) or removed it (404 on a conditional update) becomes STATE_CONFLICT; anything else is rethrown unchanged.
 */
export function rethrowWriteFailure(
  err: unknown,
  what: string,
  alreadyExistsCode: string,
  etag: string | undefined,
  context: StateErrorContext,
): never {
  const status = httpStatusOf(err);
  const created = status === 409 && serviceErrorCode(err) === alreadyExistsCode;
  if (created || status === 412 || (etag !== undefined && isRecordNotFound(err))) {
    throw stateError(
      'STATE_CONFLICT',
      etag === undefined
        ? `${what} already exists; another writer created it first`
        : `${what} was changed or removed by another writer since it was read`,
      { ...context, status },
      err,
    );
  }
  throw err;
}
