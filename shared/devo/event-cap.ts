/**
 * The size cap of one Devo event. Devo documents no event size limit (its relay's UDP sources use 32 KiB packets, and
 * what the TLS endpoint does with a multi-megabyte line is unknown), so an oversized event is cut rather than
 * refused: dropping it would lose an audit record for good, while a cut one still shows what happened and says it
 * was cut. See /work/shared/reference/devo-ingestion.md, section 3 "Size limit".
 */

/** Appended to every cut event, so that a search in Devo finds the cut ones. */
export const TRUNCATION_MARKER = '[o365devo:truncated]';
const MARKER = Buffer.from(TRUNCATION_MARKER, 'utf8');

/** 256 KiB: far above any Office 365 audit record seen (a few KiB), far below what would stall a connection. */
export const DEFAULT_MAX_EVENT_BYTES = 262_144;
export const MIN_MAX_EVENT_BYTES = 1_024;
export const MAX_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Bytes the message of a line may take so that `prefix + message + LF` stays within `maxEventBytes`. */
export function messageBudget(prefixBytes: number, maxEventBytes: number): number {
  return maxEventBytes - prefixBytes - 1;
}

/**
 * Returns `message` itself when its UTF-8 form fits in `budget` bytes, else a copy of the same type cut on a UTF-8
 * character boundary and ending in the marker, within `budget`. The common case costs one comparison for bytes and
 * for text whose worst case (3 bytes per UTF-16 unit) fits; only longer text is measured. A budget too small for the
 * marker itself (a prefix almost as long as the cap) gives the marker alone: the event is still never dropped.
 * Callers count a truncation by `result !== message`.
 */
export function capEvent<T extends string | Uint8Array>(message: T, budget: number): T {
  if (typeof message === 'string') {
    if (message.length * 3 <= budget) return message;
    const bytes = Buffer.from(message, 'utf8');
    if (bytes.length <= budget) return message;
    return cut(bytes, budget).toString('utf8') as T;
  }
  if (message.length <= budget) return message;
  return cut(message, budget) as Uint8Array as T;
}

function cut(bytes: Uint8Array, budget: number): Buffer {
  let end = Math.max(0, budget - MARKER.length);
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return Buffer.concat([bytes.subarray(0, end), MARKER]);
}
