import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { createTelemetry, type Telemetry } from '../../shared/telemetry/metrics.ts';

/** Data points per metric name, as an exporter received them. */
export type Points = Map<string, { attributes: Record<string, unknown>; value: number }[]>;

/** A telemetry pipeline into memory, and a way to read back what it recorded (after `telemetry.flush()`). */
export async function inMemoryTelemetry(): Promise<{ telemetry: Telemetry; points: () => Points }> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const telemetry = await createTelemetry({}, { readers: [reader] });
  const points = (): Points => {
    const found: Points = new Map();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          found.set(
            metric.descriptor.name,
            metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value as number })),
          );
        }
      }
    }
    return found;
  };
  return { telemetry, points };
}

/** The sum of a metric's data points (0 when it recorded none). */
export const sumOf = (points: Points, name: string): number =>
  (points.get(name) ?? []).reduce((sum, p) => sum + p.value, 0);
