/** Events and framed (uncompressed) bytes accepted for one tag. */
export interface DevoTagStats {
  events: number;
  bytes: number;
}

/** Counters since the sender was created; a snapshot, safe to serialise. */
export interface DevoSenderStats {
  /** Events accepted by `send()` and their framed bytes, in total and per tag. */
  events: number;
  bytes: number;
  byTag: Record<string, DevoTagStats>;
  gzipMembers: number;
  /** Compressed bytes produced (gzip mode). */
  compressedBytes: number;
  /** Bytes written to sockets, resends included. */
  wireBytes: number;
  connections: number;
  /** Connections opened to replace one that failed, was closed by the server, idled or aged out. */
  reconnects: number;
  resentBytes: number;
  resentLines: number;
  /** Events longer than `maxEventBytes`, cut to fit with the marker `[o365devo:truncated]` (never dropped). */
  truncatedEvents: number;
  /** Connection failures seen (each one leads to a retry or to an error). */
  failures: number;
  /** Confirmed flushes, and what they (plus connection rotations) confirmed. */
  flushes: number;
  confirmedLines: number;
  confirmedBytes: number;
  /** Retained and buffered data not yet confirmed. */
  pendingBytes: number;
  pendingLines: number;
  /** Wall time spent by the background writer (connecting included), in `flush()` calls, and compressing. */
  sendingMs: number;
  flushingMs: number;
  compressMs: number;
}

export type DevoCounters = Omit<DevoSenderStats, 'events' | 'bytes' | 'byTag' | 'pendingBytes' | 'pendingLines'>;

export function newCounters(): DevoCounters {
  return {
    gzipMembers: 0,
    compressedBytes: 0,
    wireBytes: 0,
    connections: 0,
    reconnects: 0,
    resentBytes: 0,
    resentLines: 0,
    truncatedEvents: 0,
    failures: 0,
    flushes: 0,
    confirmedLines: 0,
    confirmedBytes: 0,
    sendingMs: 0,
    flushingMs: 0,
    compressMs: 0,
  };
}

/** Builds the public snapshot from the live counters and per-tag entries. */
export function snapshotStats(
  counters: DevoCounters,
  tags: Iterable<[string, DevoTagStats]>,
  pending: { bytes: number; lines: number },
): DevoSenderStats {
  const byTag: Record<string, DevoTagStats> = {};
  let events = 0;
  let bytes = 0;
  for (const [tag, entry] of tags) {
    byTag[tag] = { events: entry.events, bytes: entry.bytes };
    events += entry.events;
    bytes += entry.bytes;
  }
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  return {
    ...counters,
    events,
    bytes,
    byTag,
    pendingBytes: pending.bytes,
    pendingLines: pending.lines,
    sendingMs: round(counters.sendingMs),
    flushingMs: round(counters.flushingMs),
    compressMs: round(counters.compressMs),
  };
}
