import { tagForWorkload } from './content-types.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WORKLOAD = Buffer.from('"Workload":"');
const CREATION_TIME = Buffer.from('"CreationTime":"');

/**
 * Where the last `"name":"value"` string found lies in its record's bytes. One scratch object for every call: the
 * reader runs for every record, and an object per field found was about a tenth of what a catch-up allocated.
 */
const found = {
  /** Where `"name"` starts. */
  key: 0,
  /** The value's bytes: `[from, end)`. */
  from: 0,
  end: 0,
};

/**
 * What the record sink needs of a record, read from its bytes: its Devo tag and event time (NaN when the time is not
 * a date). Written into `out` and true when both `Workload` and `CreationTime` come before anything nested (as in
 * every record Microsoft documents), so that nothing else could hold them; false when the record must be parsed.
 *
 * This runs for every record. A Buffer needle costs `indexOf` a search table per call, about 0.1 µs even when the
 * key is at the start; a one-byte search for the key's first letter, checked in place, costs a third of that, and
 * neither field becomes a string in the usual case (the tag of the last Workload seen is reused, the time is read
 * from its digits).
 */
export function readFields(bytes: Buffer, out: { tag: string; created: number }): boolean {
  if (!findStringField(bytes, WORKLOAD)) return false;
  const nested = firstNesting(bytes);
  if (found.key > nested) return false;
  const tag = tagOf(bytes, found.from, found.end);
  if (!findStringField(bytes, CREATION_TIME) || found.key > nested) return false;
  out.tag = tag;
  out.created = timeOf(bytes, found.from, found.end);
  return true;
}

/** `CreationTime` is UTC but written without a zone (`2026-11-20T10:01:02`). */
export function withUtcSuffix(time: string): string {
  // Told by a few characters before any pattern is tried: this runs for every record that is parsed.
  const n = time.length;
  if (time.charCodeAt(n - 1) === 0x5a) return time;
  if (!isSign(time.charCodeAt(n - 6)) && !isSign(time.charCodeAt(n - 5))) return `${time}Z`;
  return ZONE_OFFSET.test(time) ? time : `${time}Z`;
}

const ZONE_OFFSET = /[+-]\d{2}:?\d{2}$/;
const isSign = (c: number): boolean => c === 0x2b || c === 0x2d;

/**
 * Finds the first `"name":"value"` with `key` = `"name":"` and leaves where it lies in `found`; false when absent or
 * its value holds an escape.
 */
function findStringField(bytes: Buffer, key: Buffer): boolean {
  const letter = key[1] as number;
  for (let at = bytes.indexOf(letter, 1); at > 0; at = bytes.indexOf(letter, at + 1)) {
    if (bytes[at - 1] !== QUOTE || !matchesAt(bytes, at - 1, key)) continue;
    const from = at - 1 + key.length;
    const end = bytes.indexOf(QUOTE, from);
    if (end < 0) return false;
    for (let i = from; i < end; i++) if (bytes[i] === BACKSLASH) return false;
    found.key = at - 1;
    found.from = from;
    found.end = end;
    return true;
  }
  return false;
}

function matchesAt(bytes: Buffer, at: number, key: Buffer): boolean {
  if (at + key.length > bytes.length) return false;
  for (let i = 2; i < key.length; i++) if (bytes[at + i] !== key[i]) return false;
  return true;
}

/**
 * Index of the first `{` or `[` after the record's own opening brace (inside a string or not: a safe bound), or
 * Infinity when there is none. Two native one-byte searches beat a JavaScript loop over the few hundred bytes before
 * the fields.
 */
function firstNesting(bytes: Buffer): number {
  const brace = bytes.indexOf(0x7b, 1);
  const bracket = bytes.indexOf(0x5b, 1);
  return Math.min(brace < 0 ? Infinity : brace, bracket < 0 ? Infinity : bracket);
}

/** The tag of the last Workload seen, by its bytes: records come in runs of one workload. */
let lastWorkload: Buffer = Buffer.alloc(0);
let lastTag = tagForWorkload(undefined);

function tagOf(bytes: Buffer, from: number, end: number): string {
  const length = end - from;
  if (length === lastWorkload.length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = bytes[from + i] === lastWorkload[i];
    if (same) return lastTag;
  }
  lastWorkload = Buffer.from(bytes.subarray(from, end));
  lastTag = tagForWorkload(lastWorkload.toString('utf8'));
  return lastTag;
}

/**
 * Milliseconds of `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` read from its digits, as `Date.parse` reads it with a `Z`
 * added; any other shape, or a field out of range, goes through `Date.parse` itself.
 */
function timeOf(bytes: Buffer, from: number, end: number): number {
  const fast = isoUtcMillis(bytes, from, end);
  if (fast !== undefined) return fast;
  return Date.parse(withUtcSuffix(bytes.toString('utf8', from, end)));
}

function isoUtcMillis(b: Buffer, from: number, end: number): number | undefined {
  if (end - from < 19) return undefined;
  if (b[from + 4] !== 0x2d || b[from + 7] !== 0x2d || b[from + 10] !== 0x54) return undefined;
  if (b[from + 13] !== 0x3a || b[from + 16] !== 0x3a) return undefined;
  const year = digits(b, from, 4);
  const month = digits(b, from + 5, 2);
  const day = digits(b, from + 8, 2);
  const hour = digits(b, from + 11, 2);
  const minute = digits(b, from + 14, 2);
  const second = digits(b, from + 17, 2);
  // Years below 1000 (Date.UTC reads 0-99 as 1900-1999) and days past the 28th go the slow way.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let at = from + 19;
  let ms = 0;
  if (at < end && b[at] === 0x2e) {
    at += 1;
    const start = at;
    for (let scale = 100; at < end && isDigit(b[at]); at++, scale /= 10) {
      if (scale >= 1) ms += ((b[at] as number) - 0x30) * scale;
    }
    if (at === start) return undefined;
  }
  if (at < end && b[at] === 0x5a) at += 1;
  if (at !== end) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** The value of `count` decimal digits at `at`, or -1 when one is not a digit. */
function digits(b: Buffer, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = b[i];
    if (!isDigit(c)) return -1;
    value = value * 10 + ((c as number) - 0x30);
  }
  return value;
}
