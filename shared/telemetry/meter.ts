import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';
import { METRICS, type Telemetry } from './metrics.ts';

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
  };
  const lag = meter.createGauge(METRICS.deliveryLagSeconds, {
    description: 'Now minus the newest event time sent',
    unit: 's',
  });

  return {
    enabled: true,
    record({ functionName, stats, devo, endedAt }) {
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
      // Sent per Devo table; a run that sent nothing still reports 0 so "no events" alerts see the function.
      const tags = Object.entries(devo?.byTag ?? {});
      if (tags.length === 0) c.sent.add(0, fn);
      for (const [tag, t] of tags) c.sent.add(t.events, { ...fn, tag });
      if (stats.newestEventTime !== undefined) lag.record(Math.max(0, (endedAt - stats.newestEventTime) / 1000), fn);
    },
    flush: () => provider.forceFlush(),
  };
}
