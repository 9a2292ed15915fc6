/**
 * The debug traces that explain a run (the legacy collectors' debug mode). Collectors always emit them at debug level;
 * the Functions host (or the local console logger) decides whether they are shown. Every shape is built here, from
 * counts, times and masked URLs only: no token, secret, tenant or client ID and no record content.
 */
import { maskIdentifier } from '../config/mask.ts';

/** GUID-shaped path segments: the tenant ID sits in the Management API and token URLs. */
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `text` with every GUID in it masked like the tenant ID: Microsoft's error messages quote the publisher ID. */
export function maskGuids(text: string): string {
  return text.replace(GUID, (id) => maskIdentifier(id));
}

/** A URL fit for every log line: origin and path, no query, and any GUID in it masked like the tenant ID. */
export function maskedUrl(url: string | URL): string {
  let text: string;
  try {
    const u = url instanceof URL ? url : new URL(url);
    text = `${u.origin}${u.pathname}`;
  } catch {
    text = String(url).split('?')[0] ?? '';
  }
  return maskGuids(text);
}

/** One finished attempt of an API request, successful or not. */
export interface AttemptTrace {
  method: string;
  url: string;
  /** HTTP status, or the error code when no answer came back. */
  outcome: number | string;
  attempt: number;
  ms: number;
}

export const requestTrace = (fn: string, t: AttemptTrace): string =>
  `${fn}: request ${t.method} ${maskedUrl(t.url)} -> ${t.outcome} (attempt ${t.attempt}, ${Math.round(t.ms)} ms)`;

export interface WindowTrace {
  start: Date;
  end: Date;
  pages: number;
  blobs: number;
}

export const windowTrace = (fn: string, t: WindowTrace): string =>
  `${fn}: window ${t.start.toISOString()}..${t.end.toISOString()}: ${t.pages} page(s), ${t.blobs} blob(s)`;

export interface BlobTrace {
  contentId: string;
  records: number;
  duplicates: number;
  bytes: number;
}

export const blobTrace = (fn: string, t: BlobTrace): string =>
  `${fn}: blob ${t.contentId}: ${t.records} record(s), ${t.duplicates} duplicate(s), ${t.bytes} bytes`;

export interface CheckpointTrace {
  /** Events Devo confirmed since the previous checkpoint. */
  eventsConfirmed: number;
  /** Bytes of state written by this checkpoint (dedupe filter and cursor). */
  stateBytes: number;
  /** Where the cursor now stands, when the collector has one. */
  position: string | undefined;
}

export const checkpointTrace = (fn: string, t: CheckpointTrace): string =>
  `${fn}: checkpoint: ${t.eventsConfirmed} event(s) confirmed, ${t.stateBytes} state bytes written, ` +
  `cursor at ${t.position ?? '(none)'}`;

/** What the Devo sender did with its connection. */
export type DevoConnectionEvent =
  | { kind: 'connect'; ms: number; resumed: boolean }
  | { kind: 'reconnect'; reason: 'idle' | 'age' | 'dead' | 'failure'; ms: number; resumed: boolean }
  | { kind: 'confirm'; lines: number; bytes: number };

const resumedNote = (resumed: boolean): string => (resumed ? ', TLS session resumed' : '');

export function devoTrace(fn: string, e: DevoConnectionEvent): string {
  switch (e.kind) {
    case 'connect':
      return `${fn}: Devo connect (${Math.round(e.ms)} ms${resumedNote(e.resumed)})`;
    case 'reconnect':
      return `${fn}: Devo reconnect after ${e.reason} (${Math.round(e.ms)} ms${resumedNote(e.resumed)})`;
    case 'confirm':
      return `${fn}: Devo confirm: ${e.lines} line(s), ${e.bytes} bytes`;
  }
}
