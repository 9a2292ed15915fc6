import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { withUtcSuffix } from '../../shared/management/records.ts';
import { createTelemetry, METRICS } from '../../shared/telemetry/metrics.ts';
import { inMemoryTelemetry, sumOf } from '../support/memory-telemetry.ts';
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
  const { telemetry, points: read } = await inMemoryTelemetry();
  stack.simulator.faults.add({ match: { route: 'blob' }, kind: '429', times: 1, retryAfterSeconds: 1 });

  const stats = await invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger(), { telemetry });
  const endedAt = Date.now();
  const points = read();
  const total = (name: string): number => sumOf(points, name);

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
  assert.deepEqual(
    (points.get(METRICS.eventsUnconfirmed) ?? []).map((p) => p.value),
    [0],
    'nothing left unconfirmed',
  );
});

it('counts nothing as sent while Devo is down, and the lag keeps growing', async () => {
  const env = testEnv(stack);
  const first = await inMemoryTelemetry();
  const delivered = await invokeManagementFunction('auditSharePoint', env, recordingLogger(), {
    telemetry: first.telemetry,
  });
  assert.ok(delivered.eventsSent > 0);
  const lagBefore = first.points().get(METRICS.deliveryLagSeconds)?.[0]?.value ?? NaN;
  assert.ok(lagBefore > 0);

  // New content arrives while Devo cannot be reached: it is fetched and queued, never confirmed.
  const records = stack.simulator.generateRecords('Audit.SharePoint', 20, Date.now() - 120_000);
  stack.simulator.addBlob('Audit.SharePoint', records, Date.now() - 60_000);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const down = await inMemoryTelemetry();
  const logger = recordingLogger();
  await assert.rejects(
    invokeManagementFunction('auditSharePoint', testEnv(stack, { DEVO_PORT: '1' }), logger, {
      telemetry: down.telemetry,
    }),
    /Devo/,
  );
  const points = down.points();
  assert.equal(sumOf(points, METRICS.eventsSent), 0, 'sent counts confirmed events only');
  assert.ok(sumOf(points, METRICS.eventsReceived) >= 20);
  assert.ok(sumOf(points, METRICS.devoSendFailures) > 0, 'the failure counter rises');
  const waiting = points.get(METRICS.eventsUnconfirmed)?.[0]?.value ?? 0;
  assert.ok(waiting >= 20, `the events left unconfirmed are reported (${waiting})`);
  const lag = points.get(METRICS.deliveryLagSeconds)?.[0]?.value ?? NaN;
  assert.ok(lag > lagBefore, `the lag grows while nothing is confirmed (${lagBefore} s, then ${lag} s)`);
  const line = logger.lines.find((l) => l.includes('statistics:')) ?? '';
  assert.match(line, /events sent: 0;/);
  assert.match(line, /events not confirmed by Devo: \d+/);
});

it('prints progress with a falling time to catch up during a 7-day catch-up, and feeds the gauges', async () => {
  const { telemetry, points } = await inMemoryTelemetry();
  stack.simulator.faults.add({ match: { route: 'blob' }, kind: 'delay-headers', delayMs: 400, times: 1000 });
  const logger = recordingLogger();
  try {
    await invokeManagementFunction('auditGeneral', testEnv(stack, { MANAGEMENT_FETCH_CONCURRENCY: '1' }), logger, {
      telemetry,
      progressIntervalMs: 400,
    });
  } finally {
    stack.simulator.faults.clear();
  }
  const lines = logger.lines.filter((l) => l.startsWith('info auditGeneral progress: '));
  assert.ok(lines.length >= 3, logger.lines.join('\n'));
  const shares = lines.map((l) => Number(/; ([\d.]+) % of the backlog done/.exec(l)?.[1]));
  assert.ok(
    shares.every((share, i) => i === 0 || share >= (shares[i - 1] as number)),
    `shares ${shares.join(', ')}`,
  );
  const etas = lines
    .map((l) => /caught up in about ([\d.]+) (s|min|h)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'min' ? 60 : 1));
  assert.ok(
    etas.length >= 2 && (etas.at(-1) as number) < (etas[0] as number),
    `ETAs ${etas.join(', ')} s\n${lines.join('\n')}`,
  );
  assert.ok(lines.every((l) => /events sent: \d+; events queued: \d+; [\d.]+ events\/s;/.test(l)));
  const share = points().get(METRICS.catchUpShareDone)?.[0];
  assert.ok(share !== undefined && share.value > 0 && share.value <= 1, 'the share-done gauge was recorded');
  assert.ok((points().get(METRICS.catchUpEtaSeconds)?.length ?? 0) > 0, 'the ETA gauge was recorded');
});

it('prints no progress line at the live edge', async () => {
  const logger = recordingLogger();
  await invokeManagementFunction('auditGeneral', testEnv(stack), logger, { progressIntervalMs: 50 });
  assert.ok(!logger.lines.some((l) => l.includes(' progress: ')), logger.lines.join('\n'));
  assert.equal(logger.lines.filter((l) => l.includes('statistics:')).length, 1);
});

it('is off without errors when no connection string is configured', async () => {
  const telemetry = await createTelemetry({});
  assert.equal(telemetry.enabled, false);
  await telemetry.flush();
});
