import { ManagedIdentityCredential } from '@azure/identity';
import { AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import { PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import type { Env } from '../config/index.ts';

/**
 * The reader that exports to Application Insights. Loaded by `createTelemetry` only when a connection string is set;
 * its static imports (exporter, identity) are why it is a module of its own.
 */
export function azureMonitorReaders(connectionString: string, env: Env): MetricReader[] {
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
