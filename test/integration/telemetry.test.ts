import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { withUtcSuffix } from '../../shared/management/records.ts';
import { createTelemetry, METRICS } from '../../shared/telemetry/metrics.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';
import { trustTestCa } from '../support/tls.ts';
import { recordingLogger, testEnv } from './helpers.ts';

let stack: LocalStack;
before(async () => {
  trustTestCa();
  stack = await startLocalStack();
});
after(() => stack.close());

it('records the counters and the delivery lag of one invocation', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const telemetry = await createTelemetry({}, { readers: [reader] });
  stack.simulator.faults.add({ match: { route: 'blob' }, kind: '429', times: 1, retryAfterSeconds: 1 });

  const stats = await invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger(), { telemetry });
  const endedAt = Date.now();

  const points = new Map<string, { attributes: Record<string, unknown>; value: number }[]>();
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        points.set(
          metric.descriptor.name,
          metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value as number })),
        );
      }
    }
  }
  const total = (name: string): number => (points.get(name) ?? []).reduce((sum, p) => sum + p.value, 0);

  assert.ok(stats.eventsReceived > 0 && stats.duplicates > 0);
  assert.equal(total(METRICS.eventsReceived), stats.eventsReceived);
  assert.equal(total(METRICS.duplicatesDropped), stats.duplicates);
  assert.equal(total(METRICS.eventsSent), stats.eventsSent);
  assert.equal(total(METRICS.apiRequests), stats.requests);
  assert.equal(total(METRICS.apiThrottled), 1);
  for (const p of points.get(METRICS.eventsSent) ?? []) {
    assert.equal(p.attributes.function, 'auditExchange');
    assert.match(String(p.attributes.tag), /^cloud\.office365\.management\.[a-z]+$/);
  }

  // Lag = end of the run minus the newest CreationTime delivered.
  const newest = Math.max(
    ...stack.simulator
      .expectedUniqueRecords('Audit.Exchange')
      .map((r) => Date.parse(withUtcSuffix((JSON.parse(r) as { CreationTime: string }).CreationTime))),
  );
  const [lag] = points.get(METRICS.deliveryLagSeconds) ?? [];
  assert.ok(lag !== undefined, 'the lag gauge was recorded');
  const expected = (endedAt - newest) / 1000;
  assert.ok(Math.abs(lag.value - expected) < 5, `lag ${lag.value} s, expected about ${expected} s`);
});

it('is off without errors when no connection string is configured', async () => {
  const telemetry = await createTelemetry({});
  assert.equal(telemetry.enabled, false);
  await telemetry.flush();
});
