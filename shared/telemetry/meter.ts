import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import { METRICS, type RunReport, type Telemetry } from './metrics.ts';
import { unconfirmedEvents } from './statistics.ts';

/** The OpenTelemetry side of `createTelemetry`: counters and the lag gauge on a meter that exports to `readers`. */
export function meterTelemetry(readers: MetricReader[]): Telemetry {
  const provider = new MeterProvider({ readers });
  const meter = provider.getMeter('o365-devo-functions');
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const c = {
    received: counter(METRICS.eventsReceived, 'Records received from the API'),
    sent: counter(METRICS.eventsSent, 'Events confirmed by Devo'),
    duplicates: counter(METRICS.duplicatesDropped, 'Records dropped as duplicates'),
    lost: counter(METRICS.recordsLost, 'Content lost to expiry'),
    failed: counter(METRICS.blobsFailed, 'Content blobs that failed after all retries'),
    retried: counter(METRICS.blobsRetried, 'Content blobs delivered by uriRetry'),
    requests: counter(METRICS.apiRequests, 'API requests, retries included'),
    throttled: counter(METRICS.apiThrottled, 'API answers that asked us to slow down'),
    reconnects: counter(METRICS.devoReconnects, 'Devo connections replaced'),
    sendFailures: counter(METRICS.devoSendFailures, 'Devo connection failures'),
    truncated: counter(METRICS.devoTruncatedEvents, 'Events cut to DEVO_MAX_EVENT_BYTES, with a marker'),
  };
  const lag = meter.createGauge(METRICS.deliveryLagSeconds, {
    description: 'End of the run minus the newest event time Devo confirmed (see lagSeconds)',
    unit: 's',
  });
  const unconfirmed = meter.createGauge(METRICS.eventsUnconfirmed, {
    description: 'Events a run queued that Devo did not confirm; the next run sends them again',
  });

  const shareDone = meter.createGauge(METRICS.catchUpShareDone, {
    description: 'Share of the backlog a catching-up run has done (0 to 1), at each progress report',
  });
  const eta = meter.createGauge(METRICS.catchUpEtaSeconds, {
    description: 'Seconds a catching-up run expects to need until it is caught up, at each progress report',
    unit: 's',
  });

  return {
    enabled: true,
    progress(report) {
      const fn = { function: report.functionName };
      shareDone.record(report.shareDone, fn);
      if (report.etaSeconds !== undefined) eta.record(report.etaSeconds, fn);
    },
    record(report) {
      const { functionName, stats, devo } = report;
      const fn = { function: functionName };
      c.received.add(stats.eventsReceived, fn);
      c.duplicates.add(stats.duplicates, fn);
      c.lost.add(stats.blobsLost, fn);
      c.failed.add(stats.blobsFailed, fn);
      c.retried.add(stats.blobsRetried, fn);
      c.requests.add(stats.requests, fn);
      c.throttled.add(stats.throttled, fn);
      c.reconnects.add(devo?.reconnects ?? 0, fn);
      c.sendFailures.add(devo?.failures ?? 0, fn);
      c.truncated.add(devo?.truncatedEvents ?? 0, fn);
      // Confirmed per Devo table; a run that confirmed nothing still reports 0 so "no events" alerts see the function.
      const tags = Object.entries(stats.sentByTag).filter(([, events]) => events > 0);
      if (tags.length === 0) c.sent.add(0, fn);
      for (const [tag, events] of tags) c.sent.add(events, { ...fn, tag });
      unconfirmed.record(unconfirmedEvents(stats), fn);
      const seconds = lagSeconds(report);
      if (seconds !== undefined) lag.record(seconds, fn);
    },
    flush: () => provider.forceFlush(),
  };
}

/**
 * The delivery lag of a run: its end minus the newest event time Devo confirmed for the function, over all its runs.
 * Reported when the run confirmed events or left events unconfirmed; a quiet run at the live edge reports none, since
 * no data is late. When Devo never confirmed anything, the oldest event left waiting stands in: either way the lag
 * keeps growing while deliveries fail.
 */
export function lagSeconds(report: RunReport): number | undefined {
  const { stats, endedAt } = report;
  const waiting = unconfirmedEvents(stats) > 0;
  if (stats.eventsSent === 0 && !waiting) return undefined;
  const from = report.newestConfirmed ?? stats.newestEventTime ?? (waiting ? stats.oldestQueuedEventTime : undefined);
  return from === undefined ? undefined : Math.max(0, (endedAt - from) / 1000);
}
