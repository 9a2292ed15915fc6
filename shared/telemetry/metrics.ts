import { ManagedIdentityCredential } from '@azure/identity';
import { AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { Env } from '../config/index.ts';
import type { DevoSenderStats } from '../devo/stats.ts';
import type { RunStatistics } from './statistics.ts';

/** Metric names; the alert rules and the workbook in infra/ query exactly these. */
export const METRICS = {
  eventsReceived: 'o365devo.events.received',
  eventsSent: 'o365devo.events.sent',
  duplicatesDropped: 'o365devo.duplicates.dropped',
  recordsLost: 'o365devo.records.lost',
  blobsFailed: 'o365devo.blobs.failed',
  blobsRetried: 'o365devo.blobs.retried',
  apiRequests: 'o365devo.api.requests',
  apiThrottled: 'o365devo.api.throttled',
  devoReconnects: 'o365devo.devo.reconnects',
  devoSendFailures: 'o365devo.devo.send_failures',
  deliveryLagSeconds: 'o365devo.delivery.lag_seconds',
} as const;

/** What one invocation did, for the metrics. */
export interface RunReport {
  functionName: string;
  stats: RunStatistics;
  devo: Pick<DevoSenderStats, 'byTag' | 'reconnects' | 'failures'> | undefined;
  /** When the run ended (ms since epoch), for the delivery lag. */
  endedAt: number;
}

export interface Telemetry {
  readonly enabled: boolean;
  record(report: RunReport): void;
  /** Exports what was recorded; called before an invocation returns, since the instance may be frozen after it. */
  flush(): Promise<void>;
}

const disabled: Telemetry = { enabled: false, record() {}, flush: () => Promise.resolve() };

/**
 * Metrics to Application Insights through the Azure Monitor exporter, with Entra ID authentication when
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for it. Only metrics: the Functions host already exports logs and
 * traces, and a second exporter would duplicate them. Without a connection string (local runs) telemetry is off.
 * Tests pass their own readers (an in-memory exporter).
 */
export function createTelemetry(env: Env, options: { readers?: MetricReader[] } = {}): Telemetry {
  const readers = options.readers ?? azureMonitorReaders(env);
  if (readers.length === 0) return disabled;
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

function azureMonitorReaders(env: Env): MetricReader[] {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return [];
  const auth = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '';
  const clientId = /ClientId=([^;]+)/i.exec(auth)?.[1];
  const credential = /Authorization=AAD/i.test(auth)
    ? clientId === undefined
      ? new ManagedIdentityCredential()
      : new ManagedIdentityCredential({ clientId })
    : undefined;
  const exporter = new AzureMonitorMetricExporter({
    connectionString,
    ...(credential === undefined ? {} : { credential }),
  });
  return [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })];
}

let shared: Telemetry | undefined;

/** One telemetry pipeline per process, created on first use. */
export function processTelemetry(env: Env): Telemetry {
  shared ??= createTelemetry(env);
  return shared;
}
