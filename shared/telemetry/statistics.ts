/**
 * Per-invocation counters and the one summary line an operator reads, in the shape of the legacy collectors'
 * statistics ("requests made; events received; duplicates filtered; events sent; average events per second; elapsed").
 * "Events sent" means confirmed by Devo: an event only handed to the sender is not counted.
 */
export interface RunStatistics {
  requests: number;
  throttled: number;
  retries: number;
  eventsReceived: number;
  duplicates: number;
  /** Events queued for Devo: new records, after dedupe. */
  eventsQueued: number;
  /** Events Devo confirmed (never merely handed to the sender). */
  eventsSent: number;
  /** Events cut to DEVO_MAX_EVENT_BYTES (with the marker `[o365devo:truncated]`) on their way to Devo. */
  eventsTruncated: number;
  /** Events Devo confirmed, per Devo table (tag). */
  sentByTag: Record<string, number>;
  blobsFetched: number;
  blobsFailed: number;
  blobsRetried: number;
  blobsLost: number;
  /** Newest event time Devo confirmed (ms since epoch), for delivery lag. */
  newestEventTime: number | undefined;
  /** Oldest event time queued in this run (ms since epoch): how far back unconfirmed work reaches. */
  oldestQueuedEventTime: number | undefined;
  /** The run stopped before it caught up, after a failure it could not get past (the next run goes on from there). */
  stoppedEarly: boolean;
}

export function emptyStatistics(): RunStatistics {
  return {
    requests: 0,
    throttled: 0,
    retries: 0,
    eventsReceived: 0,
    duplicates: 0,
    eventsQueued: 0,
    eventsSent: 0,
    eventsTruncated: 0,
    sentByTag: {},
    blobsFetched: 0,
    blobsFailed: 0,
    blobsRetried: 0,
    blobsLost: 0,
    newestEventTime: undefined,
    oldestQueuedEventTime: undefined,
    stoppedEarly: false,
  };
}

/** Events queued in this run that Devo did not confirm: the next run fetches and sends them again. */
export const unconfirmedEvents = (stats: RunStatistics): number => Math.max(0, stats.eventsQueued - stats.eventsSent);

export function summaryLine(name: string, stats: RunStatistics, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? stats.eventsSent / seconds : 0;
  return (
    `${name} statistics: requests made: ${stats.requests}; events received: ${stats.eventsReceived}; ` +
    `duplicates filtered: ${stats.duplicates}; events sent: ${stats.eventsSent}; ` +
    `average events per second: ${rate.toFixed(1)}; elapsed: ${seconds.toFixed(1)} s; ` +
    `throttled: ${stats.throttled}; retries: ${stats.retries}; blobs fetched: ${stats.blobsFetched}; ` +
    `blobs failed: ${stats.blobsFailed}; blobs lost to expiry: ${stats.blobsLost}` +
    (unconfirmedEvents(stats) > 0
      ? `; events not confirmed by Devo: ${unconfirmedEvents(stats)} (the next run sends them again)`
      : '') +
    (stats.eventsTruncated > 0
      ? `; events cut to DEVO_MAX_EVENT_BYTES: ${stats.eventsTruncated} (they end in [o365devo:truncated])`
      : '') +
    (stats.stoppedEarly ? '; stopped early: the next run goes on from where this one stopped' : '')
  );
}
