import { compactStamp, DAY } from '../time.ts';

/** The listing window rules; all durations in ms. */
export interface WindowRules {
  maxWindowMs: number;
  maxStartAgeMs: number;
  errorCode: 'AF20055' | 'AF20030';
}

export type WindowResult = { ok: true; start: number; end: number } | { ok: false; code: string; message: string };

const WINDOW_MESSAGE =
  'Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.';

/**
 * `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (optionally with fractional seconds), read as UTC.
 * A trailing `Z` or numeric offset is tolerated, as the service's date parser does; anything else is refused,
 * including a space where a `+` offset lost its URL encoding.
 */
const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses an API time parameter to epoch ms; undefined when malformed or not a real date. */
export function parseApiTime(text: string): number | undefined {
  const m = TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (new Date(utc).getUTCDate() !== day) return undefined; // 2026-02-30 and friends
  const offset = m[8];
  if (offset === undefined || offset === 'Z') return utc;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [oh, om] = offset.slice(1).split(':').map(Number) as [number, number];
  return utc - sign * (oh * 60 + om) * 60_000;
}

/** The documented time shape, with milliseconds only when they are not zero. */
export function formatApiTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, 19) : iso.slice(0, 23);
}

/**
 * Applies the listing rules: both bounds or neither (neither = the last 24 h), start before end, at most
 * `maxWindowMs` apart, start no older than `maxStartAgeMs`. End times in the future are accepted.
 */
export function resolveWindow(
  startText: string | undefined,
  endText: string | undefined,
  now: number,
  rules: WindowRules,
): WindowResult {
  const invalid = (): WindowResult => ({ ok: false, code: rules.errorCode, message: WINDOW_MESSAGE });
  if (startText === undefined && endText === undefined) return { ok: true, start: now - DAY, end: now };
  if (startText === undefined || endText === undefined) return invalid();
  const start = parseApiTime(startText);
  const end = parseApiTime(endText);
  for (const [name, value, text] of [
    ['startTime', start, startText],
    ['endTime', end, endText],
  ] as const) {
    if (value === undefined) {
      return {
        ok: false,
        code: 'AF20002',
        message: `Invalid parameter type: ${name}='${text}'. Expected yyyy-MM-dd, yyyy-MM-ddTHH:mm or yyyy-MM-ddTHH:mm:ss (UTC).`,
      };
    }
  }
  if (start === undefined || end === undefined) return invalid();
  if (start >= end || end - start > rules.maxWindowMs || start < now - rules.maxStartAgeMs) return invalid();
  return { ok: true, start, end };
}

/** Position in a listing: blobs sort by `contentCreated`, then by arrival. */
export interface PageKey {
  created: number;
  seq: number;
}

/** Opaque `nextPage` value, e.g. `20261120100102123R000000045`. */
export function encodePageToken(key: PageKey): string {
  const ms = String(new Date(key.created).getUTCMilliseconds()).padStart(3, '0');
  return `${compactStamp(key.created)}${ms}R${String(key.seq).padStart(9, '0')}`;
}

/** Reads a `nextPage` value back; undefined when it was not made by `encodePageToken`. */
export function decodePageToken(token: string): PageKey | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})R(\d{9})$/.exec(token);
  if (m === null) return undefined;
  const created = parseApiTime(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return created === undefined ? undefined : { created, seq: Number(m[8]) };
}
