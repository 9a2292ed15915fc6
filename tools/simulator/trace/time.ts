/** Time shapes of the message trace APIs. Instants keep 100 ns precision, as the service's `Received` does. */
import type { Instant } from './model.ts';

/** `2026-11-20T10:01:02.1234567`: seven fraction digits, no zone (RWS JSON light `Received`, UTC). */
export function formatTicks(instant: Instant): string {
  const iso = new Date(instant.ms).toISOString();
  return `${iso.slice(0, 23)}${String(instant.sub).padStart(4, '0')}`;
}

/** `2026-11-20T10:01:02.1234567Z` (Graph `receivedDateTime`, RWS light `StartDate`/`EndDate`). */
export function formatTicksZ(instant: Instant): string {
  return `${formatTicks(instant)}Z`;
}

/** `/Date(1763632862123)/`: the OData verbose (ASP.NET) date shape, epoch milliseconds. */
export function formatVerboseDate(ms: number): string {
  return `/Date(${ms})/`;
}

/** An instant on a whole millisecond. */
export function instantOf(ms: number): Instant {
  return { ms, sub: 0 };
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/i;

/**
 * Parses `YYYY-MM-DDThh:mm[:ss[.fffffff]]` with `Z` or a numeric offset (required unless `zoneOptional`, then UTC).
 * Undefined when malformed or not a real date.
 */
export function parseIsoInstant(text: string, zoneOptional = false): Instant | undefined {
  const m = ISO.exec(text.trim());
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = (m[7] ?? '').padEnd(7, '0');
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3)));
  if (new Date(utc).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (zone === undefined && !zoneOptional) return undefined;
  let offsetMs = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number];
    if (oh > 14 || om > 59) return undefined;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  return { ms: utc - offsetMs, sub: Number(fraction.slice(3)) };
}
