import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { TRUNCATION_MARKER } from '../../shared/devo/event-cap.ts';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { METRICS } from '../../shared/telemetry/metrics.ts';
import { inMemoryTelemetry } from '../support/memory-telemetry.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';
import { testCerts } from '../support/devo-receiver.ts';
import { trustTestCa } from '../support/tls.ts';
import { recordingLogger, testEnv } from './helpers.ts';

let stack: LocalStack;
before(async () => {
  trustTestCa();
  stack = await startLocalStack();
});
after(() => stack.close());

it('a run with a PKCS#12 bundle, a lowered security level and a small cap: one warning, cut events counted', async () => {
  const sim = stack.simulator;
  const [small, other] = sim.generateRecords('Audit.General', 2);
  assert.ok(small !== undefined && other !== undefined);
  const big: Record<string, unknown> = { ...other, Padding: 'p'.repeat(5_000) };
  sim.addBlob('Audit.General', [small, big], Date.now());
  await new Promise((resolve) => setTimeout(resolve, 1100));

  const { telemetry, points } = await inMemoryTelemetry();
  const certs = testCerts();
  const logger = recordingLogger();
  const stats = await invokeManagementFunction(
    'auditGeneral',
    testEnv(stack, {
      DEVO_CERT: '',
      DEVO_KEY: '',
      DEVO_PFX: certs.clientPfx,
      DEVO_PFX_PASSPHRASE: certs.clientPfxPassphrase,
      DEVO_TLS_SECURITY_LEVEL: '0',
      DEVO_MAX_EVENT_BYTES: '2048',
    }),
    logger,
    { telemetry },
  );

  assert.ok(stats.eventsSent >= 2);
  const warnings = logger.lines.filter((l) => /security level lowered/.test(l));
  assert.equal(warnings.length, 1, logger.lines.join('\n'));
  assert.match(warnings[0] ?? '', /^warn auditGeneral: Devo TLS security level lowered to 0 .*weakens TLS/);

  // The padded record is cut; whatever else the simulator served longer than the cap is cut and counted as well.
  const lines = stack.receiver.lines;
  const cut = lines.filter((l) => l.message.endsWith(TRUNCATION_MARKER));
  assert.ok(cut.some((l) => l.message.includes(`"Id":${JSON.stringify(big.Id)}`)));
  for (const line of cut) assert.ok(line.raw.length + 1 <= 2048, `${line.raw.length + 1} bytes`);
  assert.equal(stats.eventsTruncated, cut.length);
  assert.ok(logger.lines.some((l) => l.includes(`events cut to DEVO_MAX_EVENT_BYTES: ${cut.length} `)));
  const whole = lines.find((l) => l.message.includes(`"Id":${JSON.stringify(small.Id)}`));
  assert.ok(whole !== undefined && !whole.message.endsWith(TRUNCATION_MARKER), 'the small record arrived whole');

  assert.deepEqual(
    (points().get(METRICS.devoTruncatedEvents) ?? []).map((p) => p.value),
    [cut.length],
  );
});
