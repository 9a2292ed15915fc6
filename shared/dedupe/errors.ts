/** Machine-readable reasons a dedupe filter could not be built or loaded. */
export type DedupeErrorCode =
  /** Stored state is damaged: bad magic, unknown format version, wrong lengths or checksum. Start a fresh filter. */
  | 'DEDUPE_STATE_CORRUPT'
  /** Stored state is intact but was sized for other settings (capacity, buffer size, error rate). Start fresh. */
  | 'DEDUPE_STATE_MISMATCH'
  /** The settings themselves cannot describe a filter (non-positive capacity, error rate outside (0, 1), ...). */
  | 'DEDUPE_SETTINGS_INVALID';

/** What was being checked; numbers and short reasons only, never record content. */
export type DedupeErrorContext = Record<string, string | number | boolean | undefined>;

export interface DedupeError extends Error {
  code: DedupeErrorCode;
  context: DedupeErrorContext;
}

/** Builds a dedupe error carrying its code and context. */
export function dedupeError(code: DedupeErrorCode, message: string, context: DedupeErrorContext = {}): DedupeError {
  const err = new Error(message) as DedupeError;
  err.name = 'DedupeError';
  err.code = code;
  err.context = context;
  return err;
}

const CODES: ReadonlySet<string> = new Set<DedupeErrorCode>([
  'DEDUPE_STATE_CORRUPT',
  'DEDUPE_STATE_MISMATCH',
  'DEDUPE_SETTINGS_INVALID',
]);

/** True for any error raised by the dedupe filter, optionally only for one code. */
export function isDedupeError(err: unknown, code?: DedupeErrorCode): err is DedupeError {
  if (!(err instanceof Error)) return false;
  const c = (err as Partial<DedupeError>).code;
  return typeof c === 'string' && CODES.has(c) && (code === undefined || c === code);
}
