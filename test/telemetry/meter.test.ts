import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { METRICS, createTelemetry } from '../../shared/telemetry/metrics.ts';
import { emptyStatistics, summaryLine } from '../../shared/telemetry/statistics.ts';

it('counts events cut to DEVO_MAX_EVENT_BYTES as o365devo.devo.truncated_events, per function', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const telemetry = await createTelemetry({}, { readers: [reader] });
  const stats = { ...emptyStatistics(), eventsTruncated: 3 };
  const devo = { byTag: {}, reconnects: 0, failures: 0, truncatedEvents: 3 };
  telemetry.record({ functionName: 'auditExchange', stats, devo, endedAt: Date.now() });
  await telemetry.flush();
  const points = exporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .filter((m) => m.descriptor.name === METRICS.devoTruncatedEvents)
    .flatMap((m) => m.dataPoints.map((p) => [p.attributes.function, p.value as number]));
  assert.deepEqual(points, [['auditExchange', 3]]);
  await reader.shutdown();
});

it('names cut events in the statistics line only when there are some', () => {
  const stats = emptyStatistics();
  assert.doesNotMatch(summaryLine('auditExchange', stats, 1_000), /cut to DEVO_MAX_EVENT_BYTES/);
  stats.eventsTruncated = 2;
  assert.match(
    summaryLine('auditExchange', stats, 1_000),
    /; events cut to DEVO_MAX_EVENT_BYTES: 2 \(they end in \[o365devo:truncated\]\)/,
  );
});
