import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { CONTENT_TYPES } from '../../tools/simulator/index.ts';
import { assertDelivered, recordingLogger, runAllManagement, testEnv, withStack } from './helpers.ts';
import { assertResumedExactly, collectProcess, killMidDelivery } from './kill.ts';
import { stateOf } from './state.ts';

describe('Management collector resilience', () => {
  it('loses and duplicates nothing when the receiver drops connections before reading', async () => {
    await withStack({ receiver: { faults: { dropAfterBytes: 0, dropConnections: 3 } } }, async (stack) => {
      await runAllManagement(testEnv(stack));
      assert.ok(stack.receiver.rawConnections.filter((c) => c.dropped).length >= 3, 'the receiver dropped connections');
      assertDelivered(stack, CONTENT_TYPES);
    });
  });

  it('loses nothing when the receiver drops connections mid-stream (a resend may repeat what it had read)', async () => {
    await withStack({ receiver: { faults: { dropAfterBytes: 20_000, dropConnections: 2 } } }, async (stack) => {
      await runAllManagement(testEnv(stack));
      assertDelivered(stack, CONTENT_TYPES, 'at-least-once');
    });
  });

  it('resumes after a kill in the middle of a delivery: the rerun sends what was missing, and only the killed delivery again', async () => {
    const options = {
      simulator: {
        data: { blobsPerContentType: 2, largeBlobs: [{ contentType: 'Audit.General' as const, records: 30_000 }] },
      },
    };
    await withStack(options, async (stack) => {
      const kill = await killMidDelivery(stack, 'auditGeneral');
      assert.ok(kill.linesAtKill > 0);
      const second = collectProcess(stack, 'auditGeneral', {});
      assert.equal(await second.exited, 0, second.output());
      assert.match(second.output(), /auditGeneral statistics: requests made: \d+/);
      assertResumedExactly(stack, kill, stack.simulator.expectedUniqueRecords('Audit.General'));
    });
  });

  it('uriRetry resumes after a kill in the middle of a delivery, sending only the killed delivery again', async () => {
    const options = {
      simulator: {
        data: { blobsPerContentType: 1, largeBlobs: [{ contentType: 'Audit.Exchange' as const, records: 30_000 }] },
      },
    };
    await withStack(options, async (stack) => {
      // Every blob fails in its own function and goes to the retry list, its records never sent.
      stack.simulator.faults.add({ match: { route: 'blob' }, kind: '500', times: 1000 });
      await invokeManagementFunction('auditExchange', testEnv(stack, { HTTP_RETRIES: '0' }), recordingLogger());
      assert.equal(stack.receiver.lines.length, 0);
      stack.simulator.faults.clear();
      const kill = await killMidDelivery(stack, 'uriRetry');
      await invokeManagementFunction('uriRetry', testEnv(stack), recordingLogger());
      assertResumedExactly(stack, kill, stack.simulator.expectedUniqueRecords('Audit.Exchange'));
      assert.deepEqual(await (await stateOf(stack)).retries.list(), []);
    });
  });

  it('delivers a large blob in bounded pieces', async () => {
    const options = {
      simulator: {
        data: { blobsPerContentType: 1, largeBlobs: [{ contentType: 'Audit.Exchange' as const, records: 12_000 }] },
      },
    };
    await withStack(options, async (stack) => {
      await invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger());
      const flushes = stack.receiver.rawConnections.filter((c) => c.endedByClient && c.lines > 0).length;
      assert.ok(flushes >= 2, `the large blob was delivered in more than one piece (${flushes} confirmed connections)`);
      assertDelivered(stack, ['Audit.Exchange']);
    });
  });

  it('collects a blob that Microsoft lists late, with a contentCreated already behind the cursor', async () => {
    await withStack({}, async (stack) => {
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      const sim = stack.simulator;
      // Published now, but dated five minutes ago: inside the relist span (15 minutes by default).
      sim.addBlob('Audit.General', sim.generateRecords('Audit.General', 4), Date.now() - 5 * 60_000);
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      assertDelivered(stack, ['Audit.General']);
      const blobFetches = sim.log.requests('blob').length;
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      assert.equal(
        sim.log.requests('blob').length,
        blobFetches,
        'blobs already done in the relist span are not fetched again',
      );
    });
  });

  it('obfuscates the configured fields before sending', async () => {
    await withStack({}, async (stack) => {
      const env = testEnv(stack, { OBFUSCATE_FIELDS: 'UserId,ClientIP', OBFUSCATION_KEY: 'a-test-key-of-16+chars' });
      await invokeManagementFunction('auditExchange', env, recordingLogger());
      const messages = stack.receiver.lines.map((l) => JSON.parse(l.message) as { UserId?: unknown; Id?: unknown });
      assert.ok(messages.length > 0);
      for (const m of messages) assert.match(String(m.UserId), /^obf:[0-9a-f]{32}$/);
      const ids = new Set(
        stack.simulator.expectedUniqueRecords('Audit.Exchange').map((r) => (JSON.parse(r) as { Id: string }).Id),
      );
      assert.deepEqual(new Set(messages.map((m) => m.Id)), ids, 'every record still arrived once');
    });
  });

  it('starts no new work past its time budget, and saves where it stands', async () => {
    await withStack({}, async (stack) => {
      // A one-minute functionTimeout leaves no budget after the minimum one-minute margin.
      const logger = recordingLogger();
      await invokeManagementFunction(
        'auditGeneral',
        testEnv(stack, { AzureFunctionsJobHost__functionTimeout: '00:01:00' }),
        logger,
      );
      assert.equal(stack.simulator.log.requests('content').length, 0);
      assert.equal(stack.receiver.lines.length, 0);
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      assertDelivered(stack, ['Audit.General']);
    });
  });

  it('starts a missing subscription once, respecting the 15-minute rule', async () => {
    await withStack({ simulator: { enabledContentTypes: ['Audit.Exchange'] } }, async (stack) => {
      const logger = recordingLogger();
      await invokeManagementFunction('dlpAll', testEnv(stack), logger);
      await invokeManagementFunction('dlpAll', testEnv(stack), logger);
      assert.equal(stack.simulator.subscriptions.startRequests.length, 1);
      assert.equal(stack.simulator.subscriptions.cooldownViolations, 0);
      assert.ok(
        logger.lines.some((l) => l.includes('started subscription DLP.All')),
        logger.lines.join('\n'),
      );
      assertDelivered(stack, ['DLP.All']);
    });
  });

  it('clamps a window the API rejects as too old instead of looping on it', async () => {
    await withStack({ simulator: { maxStartAgeMs: 6 * 86_400_000 } }, async (stack) => {
      const logger = recordingLogger();
      await invokeManagementFunction('auditSharePoint', testEnv(stack), logger);
      assert.ok(
        logger.lines.some((l) => l.includes('the API rejected the window')),
        logger.lines.join('\n'),
      );
      assertDelivered(stack, ['Audit.SharePoint']);
    });
  });

  it('resets a function when MANAGEMENT_START_TIME changes, and says so', async () => {
    await withStack({}, async (stack) => {
      await invokeManagementFunction('auditAzureActiveDirectory', testEnv(stack), recordingLogger());
      const logger = recordingLogger();
      const start = new Date(Math.floor((Date.now() - 86_400_000) / 1000) * 1000).toISOString();
      const listedBefore = stack.simulator.log.requests('content').length;
      await invokeManagementFunction(
        'auditAzureActiveDirectory',
        testEnv(stack, { MANAGEMENT_START_TIME: start }),
        logger,
      );
      assert.ok(
        logger.lines.some(
          (l) => l.startsWith('warn') && l.includes('MANAGEMENT_START_TIME changed') && l.includes('resetting'),
        ),
        logger.lines.join('\n'),
      );
      assert.ok(
        logger.lines.some((l) => l.includes(`at ${start}`)),
        'the new start time is used',
      );
      // Nothing before it is listed, not even by the relist span of the first window.
      const listings = stack.simulator.log.requests('content').slice(listedBefore);
      assert.equal(listings[0]?.query.startTime, start.slice(0, 19));
    });
  });

  it('keeps the cursor when MANAGEMENT_START_TIME is removed, says so once, and setting it again changes nothing', async () => {
    await withStack({}, async (stack) => {
      const start = new Date(Math.floor((Date.now() - 86_400_000) / 1000) * 1000).toISOString();
      await invokeManagementFunction(
        'auditGeneral',
        testEnv(stack, { MANAGEMENT_START_TIME: start }),
        recordingLogger(),
      );
      const delivered = stack.receiver.lines.length;
      assert.ok(delivered > 0);
      const runs = [recordingLogger(), recordingLogger()];
      for (const logger of runs) await invokeManagementFunction('auditGeneral', testEnv(stack), logger);
      const said = (l: string): boolean => l.includes('MANAGEMENT_START_TIME was removed') && l.includes('kept');
      assert.equal(runs[0]?.lines.filter(said).length, 1, runs[0]?.lines.join('\n'));
      assert.equal(runs[1]?.lines.filter(said).length, 0, 'said once');
      const again = recordingLogger();
      await invokeManagementFunction('auditGeneral', testEnv(stack, { MANAGEMENT_START_TIME: start }), again);
      for (const logger of [...runs, again]) {
        assert.ok(
          !logger.lines.some((l) => l.includes('resetting') || l.includes('starting collection')),
          logger.lines.join('\n'),
        );
      }
      assert.equal(stack.receiver.lines.length, delivered, 'nothing was collected again');
    });
  });
});
