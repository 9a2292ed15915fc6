/**
 * Per-invocation counters and the one summary line an operator reads, in the shape of the legacy collectors'
 * statistics ("requests made; events received; duplicates filtered; events sent; average events per second; elapsed").
 */
export interface RunStatistics {
  requests: number;
  throttled: number;
  retries: number;
  eventsReceived: number;
  duplicates: number;
  eventsSent: number;
  blobsFetched: number;
  blobsFailed: number;
  blobsRetried: number;
  blobsLost: number;
  /** Newest event time Devo confirmed (ms since epoch), for delivery lag. */
  newestEventTime: number | undefined;
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
    eventsSent: 0,
    blobsFetched: 0,
    blobsFailed: 0,
    blobsRetried: 0,
    blobsLost: 0,
    newestEventTime: undefined,
    stoppedEarly: false,
  };
}

export function summaryLine(name: string, stats: RunStatistics, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? stats.eventsSent / seconds : 0;
  return (
    `${name} statistics: requests made: ${stats.requests}; events received: ${stats.eventsReceived}; ` +
    `duplicates filtered: ${stats.duplicates}; events sent: ${stats.eventsSent}; ` +
    `average events per second: ${rate.toFixed(1)}; elapsed: ${seconds.toFixed(1)} s; ` +
    `throttled: ${stats.throttled}; retries: ${stats.retries}; blobs fetched: ${stats.blobsFetched}; ` +
    `blobs failed: ${stats.blobsFailed}; blobs lost to expiry: ${stats.blobsLost}` +
    (stats.stoppedEarly ? '; stopped early: the next run goes on from where this one stopped' : '')
  );
}
