/**
 * Pure helpers for fitting a JSON document into one Azure Table entity. The service stores strings as UTF-16:
 * a string property holds at most 64 KiB (32,768 code units) and the whole entity at most 1 MiB, counted as
 * 4 bytes + 2 per key character + for each property (8 bytes + 2 per name character + value size), where a string
 * costs 4 + 2 per code unit, an Int32 4 and a DateTime 8.
 */

/** Code units per `dataN` property: the 32,768 limit less a margin. */
export const MAX_PART_CHARS = 32_000;
/** Budget for the estimated entity size: the 1 MiB limit less a margin for the service's own bookkeeping. */
export const MAX_ENTITY_BYTES = 1_000_000;
/** Prefix of the properties holding the JSON text (`data0`, `data1`, ...). */
export const DATA_PREFIX = 'data';

/** Stored shape of a cursor entity (besides the keys and the `dataN` parts). */
export interface CursorEntityHeader {
  /** Persistence version of the JSON value. */
  version: number;
  /** Number of `dataN` properties. */
  parts: number;
  updatedAt: Date;
}

/**
 * Rewrites every non-ASCII code unit of a JSON text as a `\\uXXXX` escape; `JSON.parse` gives back the same value.
 * Pure-ASCII storage keeps the UTF-16 size estimate exact and sidesteps Azurite corrupting multi-byte characters
 * that straddle request chunks (Azure/Azurite#2670), at the cost of 6 characters per non-ASCII one.
 */
export function asciiJson(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Cuts `text` into pieces of at most `max` UTF-16 code units, never between the two halves of a surrogate pair
 * (a lone surrogate in a property could be rejected or mangled by the service).
 */
export function splitText(text: string, max: number = MAX_PART_CHARS): string[] {
  if (max < 2) throw new RangeError('max must be at least 2');
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts.length > 0 ? parts : [''];
}

/** Estimated stored size in bytes of a cursor entity with the given keys and JSON parts. */
export function estimateEntityBytes(partitionKey: string, rowKey: string, parts: readonly string[]): number {
  const property = (name: string, valueBytes: number): number => 8 + 2 * name.length + valueBytes;
  let size = 4 + 2 * (partitionKey.length + rowKey.length);
  size += property('version', 4) + property('parts', 4) + property('updatedAt', 8);
  parts.forEach((part, i) => {
    size += property(`${DATA_PREFIX}${i}`, 4 + 2 * part.length);
  });
  return size;
}

/** Property bag for the JSON parts: `{ data0: parts[0], data1: parts[1], ... }`. */
export function partsToProperties(parts: readonly string[]): Record<string, string> {
  const props: Record<string, string> = {};
  parts.forEach((part, i) => {
    props[`${DATA_PREFIX}${i}`] = part;
  });
  return props;
}

/** Reassembles the JSON text from `count` parts, or returns the index of the first missing part. */
export function joinParts(entity: Readonly<Record<string, unknown>>, count: number): string | { missing: number } {
  let text = '';
  for (let i = 0; i < count; i++) {
    const part = entity[`${DATA_PREFIX}${i}`];
    if (typeof part !== 'string') return { missing: i };
    text += part;
  }
  return text;
}

/**
 * True when `name` can be used as a RowKey: the service refuses `/ \ # ?` and control characters, and a name
 * carrying them would fail far from its cause. Length is kept well under the 1 KiB key limit.
 */
export function isValidRowKey(name: string): boolean {
  if (name.length === 0 || name.length > 512) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || '/\\#?'.includes(name.charAt(i))) return false;
  }
  return true;
}
