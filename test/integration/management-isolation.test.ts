/**
 * Faults the Management functions must carry on through: each class retried in place or isolated to its blob, with
 * delivered records, the retry list and saved state as the evidence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import type { LocalStack } from '../../tools/local/stack.ts';
import { assertDelivered, recordingLogger, testEnv, withStack } from './helpers.ts';
import { arrivals, stateOf } from './state.ts';

const HOUR = 3_600_000;

/** A blob of fresh records dated `ageMs` ago, listable at once. */
function addBlob(stack: LocalStack, contentType: string, records: number, ageMs: number) {
  const sim = stack.simulator;
  return sim.addBlob(contentType as never, sim.generateRecords(contentType as never, records), Date.now() - ageMs);
}

describe('Management faults retried in place', () => {
  it('retries listing pages cut short (with and without Content-Length), HTML and non-JSON 200s', async () => {
    await withStack({}, async (stack) => {
      const f = stack.simulator.faults;
      const content = { route: 'content' as const, contentType: 'Audit.Exchange' };
      for (const kind of [
        'truncated-length',
        'truncated-chunked',
        'malformed-json',
        'html-200',
        'non-json-200',
      ] as const)
        f.add({ match: content, kind, after: 2 });
      f.add({ match: { route: 'list' }, kind: 'html-200' });
      const logger = recordingLogger();
      await invokeManagementFunction(
        'auditExchange',
        testEnv(stack, { HTTP_RETRIES: '8', HTTP_MAX_RETRY_WAIT_SECONDS: '1' }),
        logger,
      );
      for (const fault of f.list()) assert.equal(fault.remaining, 0, `${fault.spec.kind} fired`);
      assertDelivered(stack, ['Audit.Exchange']);
      assert.deepEqual(await (await stateOf(stack)).retries.list(), []);
    });
  });

  it('retries a blob cut short, reset or stalled mid-body, and sends none of the first attempt again', async () => {
    const options = { simulator: { data: { blobsPerContentType: 1 } } };
    await withStack(options, async (stack) => {
      const big = addBlob(stack, 'Audit.SharePoint', 3000, HOUR);
      const match = { route: 'blob' as const, contentId: big.contentId };
      const f = stack.simulator.faults;
      for (const kind of ['truncated-length', 'truncated-chunked', 'malformed-json', 'reset'] as const)
        f.add({ match, kind });
      f.add({ match, kind: 'stall-body', delayMs: 5000 });
      const env = testEnv(stack, { HTTP_RETRIES: '8', HTTP_TIMEOUT_SECONDS: '1', HTTP_MAX_RETRY_WAIT_SECONDS: '1' });
      await invokeManagementFunction('auditSharePoint', env, recordingLogger());
      for (const fault of f.list()) assert.equal(fault.remaining, 0, `${fault.spec.kind} fired`);
      const cut = stack.simulator.log.requests('blob').filter((r) => r.contentId === big.contentId);
      assert.equal(cut.length, 6, 'five failed attempts, then one whole');
      // Each failed attempt had queued part of the blob already: exactly once proves the filter dropped the repeats.
      assertDelivered(stack, ['Audit.SharePoint']);
      assert.deepEqual(await (await stateOf(stack)).retries.list(), []);
    });
  });
});

describe('Management failures isolated to their blob', () => {
  it('puts a poison blob, a 404 blob and an AF20050 blob on the retry list and delivers everything else', async () => {
    await withStack({}, async (stack) => {
      const poison = addBlob(stack, 'Audit.General', 5, 36 * HOUR);
      const missing = addBlob(stack, 'Audit.General', 5, 30 * HOUR);
      const notYet = addBlob(stack, 'Audit.General', 5, 24 * HOUR);
      const f = stack.simulator.faults;
      f.add({ match: { route: 'blob', contentId: poison.contentId }, kind: 'non-json-200', times: 1000 });
      f.add({
        match: { route: 'blob', contentId: missing.contentId },
        kind: 'error',
        status: 404,
        code: 'NotFound',
        times: 1000,
      });
      f.add({ match: { route: 'blob', contentId: notYet.contentId }, kind: 'not-found', times: 1000 });
      const env = testEnv(stack, { HTTP_RETRIES: '2' });
      await invokeManagementFunction('auditGeneral', env, recordingLogger());

      const failing = new Set([poison, missing, notYet].flatMap((b) => stack.simulator.blobRecords(b.contentId)));
      const got = arrivals(stack);
      const expected = stack.simulator.expectedUniqueRecords('Audit.General');
      for (const record of expected.filter((r) => !failing.has(r)))
        assert.equal(got.get(record), 1, 'every other record, from earlier and later windows, arrived once');
      const entries = await (await stateOf(stack)).retries.list();
      assert.deepEqual(
        entries.map((e) => e.contentId).sort(),
        [poison, missing, notYet].map((b) => b.contentId).sort(),
      );
      for (const e of entries) assert.equal(e.attempts, 1);
      assert.match(entries.find((e) => e.contentId === poison.contentId)?.lastError ?? '', /not JSON|expected a JSON/);
      assert.match(entries.find((e) => e.contentId === notYet.contentId)?.lastError ?? '', /AF20050/);

      f.clear();
      await invokeManagementFunction('uriRetry', env, recordingLogger());
      assertDelivered(stack, ['Audit.General']);
      assert.deepEqual(await (await stateOf(stack)).retries.list(), []);
    });
  });

  it('puts broken descriptors and a foreign contentUri on the retry list without fetching them', async () => {
    await withStack({}, async (stack) => {
      const f = stack.simulator.faults;
      for (const variant of [
        'missing-contentId',
        'missing-contentUri',
        'missing-contentCreated',
        'foreign-contentUri',
      ] as const)
        f.add({ match: { route: 'content', contentType: 'DLP.All' }, kind: 'poison-descriptor', variant, after: 3 });
      const logger = recordingLogger();
      await invokeManagementFunction('dlpAll', testEnv(stack), logger);
      assert.equal(f.injectedDescriptors.length, 4);
      assertDelivered(stack, ['DLP.All']);
      const entries = await (await stateOf(stack)).retries.list();
      assert.equal(entries.length, 4);
      assert.ok(
        entries.some((e) => /another host/.test(e.lastError)),
        'the foreign URL was refused',
      );
      assert.equal(stack.simulator.log.requests('unknown').length, 0);

      await invokeManagementFunction('uriRetry', testEnv(stack), recordingLogger());
      const again = await (await stateOf(stack)).retries.list();
      assert.deepEqual(
        again.map((e) => e.attempts),
        [2, 2, 2, 2],
        'they stay, one more attempt counted each',
      );
    });
  });

  it('keeps an AF20050 blob on the retry list until its contentExpiration, then reports it lost', async () => {
    await withStack({}, async (stack) => {
      const blob = addBlob(stack, 'Audit.Exchange', 3, 2 * HOUR);
      stack.simulator.faults.add({
        match: { route: 'blob', contentId: blob.contentId },
        kind: 'not-found',
        times: 1000,
      });
      await invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger());
      await invokeManagementFunction('uriRetry', testEnv(stack), recordingLogger());
      const { retries } = await stateOf(stack);
      const [entry] = await retries.list();
      assert.equal(entry?.attempts, 2, 'not lost on first sight');

      // Its time is up (as the descriptor said): the next attempt reports it lost and drops it.
      await retries.recordFailure(
        { ...entry!, contentExpiration: new Date(Date.now() - 1000).toISOString() },
        new Date(),
      );
      const logger = recordingLogger();
      const stats = await invokeManagementFunction('uriRetry', testEnv(stack), logger);
      assert.equal(stats.blobsLost, 1);
      assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes(blob.contentId) && l.includes('lost')));
      assert.deepEqual(await retries.list(), []);
    });
  });

  it('uriRetry works through every entry when some keep failing', async () => {
    await withStack({}, async (stack) => {
      const blobs = [1, 2, 3].map((i) => addBlob(stack, 'Audit.AzureActiveDirectory', 4, i * HOUR));
      const f = stack.simulator.faults;
      for (const b of blobs) f.add({ match: { route: 'blob', contentId: b.contentId }, kind: '500', times: 1000 });
      const env = testEnv(stack, { HTTP_RETRIES: '0' });
      await invokeManagementFunction('auditAzureActiveDirectory', env, recordingLogger());
      f.clear();
      const stuck = blobs[1]!;
      f.add({ match: { route: 'blob', contentId: stuck.contentId }, kind: 'non-json-200', times: 1000 });
      const logger = recordingLogger();
      await invokeManagementFunction('uriRetry', env, logger);
      const left = await (await stateOf(stack)).retries.list();
      assert.deepEqual(
        left.map((e) => [e.contentId, e.attempts]),
        [[stuck.contentId, 2]],
      );
      assert.ok(
        logger.lines.some((l) => l.includes('2 delivered, 1 failed again')),
        logger.lines.join('\n'),
      );
      const got = arrivals(stack);
      for (const b of [blobs[0]!, blobs[2]!])
        for (const r of stack.simulator.blobRecords(b.contentId)) assert.equal(got.get(r), 1);
    });
  });
});

describe('Management runs that must stop', () => {
  it('delivers and checkpoints what it finished before failing on a tenant-wide error', async () => {
    await withStack({}, async (stack) => {
      const start = new Date(Math.floor((Date.now() - 47 * HOUR) / 1000) * 1000).toISOString();
      const env = testEnv(stack, { MANAGEMENT_START_TIME: start });
      stack.simulator.faults.add({
        match: { route: 'content', contentType: 'Audit.General' },
        kind: 'error',
        status: 403,
        code: 'AF10001',
        message: 'The permission set is missing',
        // The first of the two 24-hour windows is listed; the second listing fails.
        after: 1,
        times: 1000,
      });
      await assert.rejects(invokeManagementFunction('auditGeneral', env, recordingLogger()), /AF10001/);
      const delivered = stack.receiver.lines.length;
      assert.ok(delivered > 0, 'the windows before the error were delivered');
      const saved = await (
        await stateOf(stack)
      ).cursors.load<{ position: string }>('auditGeneral', {
        currentVersion: 2,
      });
      assert.ok(saved !== undefined && saved.value.position > start, 'and checkpointed');

      stack.simulator.faults.clear();
      await invokeManagementFunction('auditGeneral', env, recordingLogger());
      assertDelivered(stack, ['Audit.General']);
    });
  });

  it('saves nothing when Devo is down, and the next run delivers everything', async () => {
    await withStack({}, async (stack) => {
      const down = testEnv(stack, { DEVO_PORT: '1' });
      await assert.rejects(invokeManagementFunction('auditSharePoint', down, recordingLogger()), /Devo/);
      const state = await stateOf(stack);
      assert.equal(await state.cursors.load('auditSharePoint', { currentVersion: 2 }), undefined);
      assert.equal(await state.blobs.load('auditSharePoint.bloom'), undefined);
      await invokeManagementFunction('auditSharePoint', testEnv(stack), recordingLogger());
      assertDelivered(stack, ['Audit.SharePoint']);
    });
  });

  it('under sustained throttling saves its progress and returns before the function timeout', async () => {
    await withStack({}, async (stack) => {
      stack.simulator.faults.add({ match: { route: 'blob' }, kind: '429', retryAfterSeconds: 1, after: 3, times: 1e6 });
      // A two-minute timeout whose budget is mostly spent: ten seconds of work are left.
      const startedAt = Date.now() - 50_000;
      const env = testEnv(stack, { HTTP_RETRIES: '20', AzureFunctionsJobHost__functionTimeout: '00:02:00' });
      const logger = recordingLogger();
      await invokeManagementFunction('auditExchange', env, logger, { startedAt });
      assert.ok(Date.now() < startedAt + 120_000, 'returned before functionTimeout');
      assert.ok(stack.receiver.lines.length > 0, 'the blobs fetched before the throttling were delivered');
      const saved = await (
        await stateOf(stack)
      ).cursors.load<{ position: string }>('auditExchange', {
        currentVersion: 2,
      });
      assert.ok(saved !== undefined, 'progress was saved');
      assert.deepEqual(await (await stateOf(stack)).retries.list(), [], 'throttled blobs are left for the next run');

      stack.simulator.faults.clear();
      await invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger());
      assertDelivered(stack, ['Audit.Exchange']);
    });
  });
});
