import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Env } from '../config/index.ts';
import type { DevoSenderStats } from '../devo/stats.ts';
import type { ProgressReport } from './progress.ts';
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
  devoTruncatedEvents: 'o365devo.devo.truncated_events',
  deliveryLagSeconds: 'o365devo.delivery.lag_seconds',
  eventsUnconfirmed: 'o365devo.events.unconfirmed',
  catchUpShareDone: 'o365devo.catchup.share_done',
  catchUpEtaSeconds: 'o365devo.catchup.eta_seconds',
} as const;

/** What one invocation did, for the metrics. */
export interface RunReport {
  functionName: string;
  stats: RunStatistics;
  devo: Pick<DevoSenderStats, 'byTag' | 'reconnects' | 'failures' | 'truncatedEvents'> | undefined;
  /** When the run ended (ms since epoch), for the delivery lag. */
  endedAt: number;
  /** Newest event time Devo ever confirmed for the function (this run's or an earlier one's), for the lag. */
  newestConfirmed?: number | undefined;
}

export interface Telemetry {
  readonly enabled: boolean;
  record(report: RunReport): void;
  /** Where a run that is behind stands, at each progress report. */
  progress(report: ProgressReport): void;
  /** Exports what was recorded; called before an invocation returns, since the instance may be frozen after it. */
  flush(): Promise<void>;
}

const disabled: Telemetry = { enabled: false, record() {}, progress() {}, flush: () => Promise.resolve() };

/**
 * Metrics to Application Insights through the Azure Monitor exporter, with Entra ID authentication when
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for it. Only metrics: the Functions host already exports logs and
 * traces, and a second exporter would duplicate them. Without a connection string (local runs) telemetry is off.
 * Tests pass their own readers (an in-memory exporter). The OpenTelemetry SDK and the exporter are imported here,
 * on the first invocation and only when telemetry is on, rather than when the host loads the functions.
 */
export async function createTelemetry(env: Env, options: { readers?: MetricReader[] } = {}): Promise<Telemetry> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  const readers =
    options.readers ??
    (connectionString ? (await import('./azure-monitor.ts')).azureMonitorReaders(connectionString, env) : []);
  if (readers.length === 0) return disabled;
  return (await import('./meter.ts')).meterTelemetry(readers);
}

let shared: Promise<Telemetry> | undefined;

/** One telemetry pipeline per process, created on first use; a failed creation is tried again by the next call. */
export function processTelemetry(env: Env): Promise<Telemetry> {
  shared ??= createTelemetry(env).catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
