import assert from 'node:assert/strict';
import { it } from 'node:test';
import { METRICS } from '../../shared/telemetry/metrics.ts';
import { emptyStatistics, summaryLine } from '../../shared/telemetry/statistics.ts';
import { inMemoryTelemetry } from '../support/memory-telemetry.ts';

it('counts events cut to DEVO_MAX_EVENT_BYTES as o365devo.devo.truncated_events, per function', async () => {
  const { telemetry, points } = await inMemoryTelemetry();
  const stats = { ...emptyStatistics(), eventsTruncated: 3 };
  const devo = { byTag: {}, reconnects: 0, failures: 0, truncatedEvents: 3 };
  telemetry.record({ functionName: 'auditExchange', stats, devo, endedAt: Date.now() });
  await telemetry.flush();
  assert.deepEqual(
    (points().get(METRICS.devoTruncatedEvents) ?? []).map((p) => [p.attributes.function, p.value]),
    [['auditExchange', 3]],
  );
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
