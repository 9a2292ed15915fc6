import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';
import { CONTENT_TYPES } from '../../tools/simulator/index.ts';
import { testCerts } from '../support/devo-receiver.ts';
import { trustTestCa } from '../support/tls.ts';
import { assertDelivered, publish, recordingLogger, runAllManagement, testEnv, withStack } from './helpers.ts';
import { arrivals, stateOf } from './state.ts';

describe('Management collector under API faults', () => {
  let stack: LocalStack;
  before(async () => {
    trustTestCa();
    stack = await startLocalStack();
  });
  after(() => stack.close());
  afterEach(() => stack.simulator.faults.clear());

  it('waits out throttling (429 and AF429 in 403), 5xx, resets and broken bodies, and still delivers once', async () => {
    const f = stack.simulator.faults;
    f.add({ match: { route: 'list' }, kind: '429', times: 2, retryAfterSeconds: 1 });
    f.add({ match: { route: 'blob' }, kind: 'af429-403', times: 2 });
    f.add({ match: { route: 'blob' }, kind: '500', times: 2 });
    f.add({ match: { route: 'blob' }, kind: 'reset', times: 2 });
    f.add({ match: { route: 'blob' }, kind: 'malformed-json', times: 1 });
    f.add({ match: { route: 'content' }, kind: '503', times: 1 });
    f.add({ match: { route: 'token' }, kind: '500', times: 1 });
    const logger = recordingLogger();
    // Several faults may hit one blob in a row: allow enough retries, capped short waits.
    await runAllManagement(testEnv(stack, { HTTP_RETRIES: '10', HTTP_MAX_RETRY_WAIT_SECONDS: '2' }), logger);
    for (const fault of f.list())
      assert.equal(fault.remaining, 0, `fault ${fault.spec.kind} on ${String(fault.spec.match?.route)} did not fire`);
    assertDelivered(stack, CONTENT_TYPES);
    assert.ok(
      logger.lines.some((l) => /statistics: .*throttled: [1-9]/.test(l)),
      'throttling is counted',
    );
  });

  it('moves past a blob that keeps failing, and uriRetry delivers it later', async () => {
    await withStack({}, async (own) => {
      await invokeManagementFunction('auditGeneral', testEnv(own), recordingLogger());
      const { contentId } = await publish(own, 'Audit.General', 4);
      own.simulator.faults.add({ match: { route: 'blob', contentId }, kind: '500', times: 1000 });
      const logger = recordingLogger();
      await invokeManagementFunction('auditGeneral', testEnv(own, { HTTP_RETRIES: '1' }), logger);
      const { retries } = await stateOf(own);
      assert.deepEqual(
        (await retries.list()).map((e) => [e.contentId, e.attempts]),
        [[contentId, 1]],
      );

      own.simulator.faults.clear();
      await invokeManagementFunction('auditGeneral', testEnv(own), recordingLogger());
      assert.throws(
        () => assertDelivered(own, ['Audit.General']),
        /never arrived/,
        'the cursor moved on without refetching the failed blob',
      );
      await invokeManagementFunction('uriRetry', testEnv(own), recordingLogger());
      assertDelivered(own, ['Audit.General']);
      assert.deepEqual(await retries.list(), []);
    });
  });

  it('reports an expired blob as lost, keeps it off the retry list, and delivers the rest', async () => {
    await withStack({}, async (own) => {
      const { contentId } = await publish(own, 'Audit.SharePoint', 3);
      own.simulator.faults.add({ match: { route: 'blob', contentId }, kind: 'expired', times: 1 });
      const logger = recordingLogger();
      const stats = await invokeManagementFunction('auditSharePoint', testEnv(own), logger);
      assert.equal(stats.blobsLost, 1);
      assert.ok(
        logger.lines.some((l) => l.startsWith('error') && l.includes(contentId) && l.includes('AF20051')),
        logger.lines.join('\n'),
      );
      const expiredRecords = new Set(own.simulator.blobRecords(contentId));
      const got = arrivals(own);
      for (const record of own.simulator.expectedUniqueRecords('Audit.SharePoint')) {
        assert.equal(got.get(record) ?? 0, expiredRecords.has(record) ? 0 : 1);
      }
      assert.deepEqual(await (await stateOf(own)).retries.list(), []);
    });
  });

  it('lists a window again when its paging breaks (AF20031), skipping nothing', async () => {
    await publish(stack, 'Audit.Exchange', 3);
    stack.simulator.faults.add({
      match: { route: 'content', contentType: 'Audit.Exchange' },
      kind: 'error',
      status: 400,
      code: 'AF20031',
      message: 'Invalid nextPage',
      times: 1,
    });
    const logger = recordingLogger();
    await invokeManagementFunction('auditExchange', testEnv(stack), logger);
    assert.ok(
      logger.lines.some((l) => l.includes('listing the window again')),
      logger.lines.join('\n'),
    );
    assertDelivered(stack, ['Audit.Exchange'], 'exactly-once', 'ignore');
  });

  it('renews an expired token in the middle of fetching content', async () => {
    await publish(stack, 'Audit.General', 2);
    stack.simulator.faults.add({
      match: { route: 'blob' },
      kind: 'error',
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: 'expired',
      times: 1,
    });
    const logger = recordingLogger();
    await invokeManagementFunction('auditGeneral', testEnv(stack), logger);
    assert.ok(!logger.lines.some((l) => l.includes('queued for uriRetry')), logger.lines.join('\n'));
    assertDelivered(stack, ['Audit.General'], 'exactly-once', 'ignore');
  });

  it('fails a run the operator must fix with what to do, without retrying it', async () => {
    stack.simulator.faults.add({
      match: { route: 'list' },
      kind: 'error',
      status: 403,
      code: 'AF10001',
      message: 'The permission set is missing',
      times: 1,
    });
    await assert.rejects(
      invokeManagementFunction('auditExchange', testEnv(stack), recordingLogger()),
      (err: Error) =>
        err.message.includes('AF10001') &&
        err.message.includes('to fix: grant the app') &&
        err.message.includes('ActivityFeed.Read'),
    );
    assert.equal(stack.simulator.faults.list()[0]?.fired, 1);
  });

  it('refuses a NextPageUri on another host without sending it the token', async () => {
    const certs = testCerts();
    let foreignRequests = 0;
    const foreign = createServer({ cert: certs.serverCert, key: certs.serverKey }, (_req, res) => {
      foreignRequests += 1;
      res.end('[]');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignOrigin = `https://localhost:${(foreign.address() as AddressInfo).port}`;
    stack.simulator.faults.add({ match: { route: 'content' }, kind: 'foreign-next-page', foreignOrigin, times: 1 });
    try {
      await assert.rejects(
        invokeManagementFunction(
          'dlpAll',
          testEnv(stack, { MANAGEMENT_START_TIME: new Date(Date.now() - 3_600_000).toISOString() }),
          recordingLogger(),
        ),
        (err: Error) =>
          err.message.includes(`another host (${foreignOrigin})`) && err.message.includes('no token was sent'),
      );
      assert.equal(foreignRequests, 0);
    } finally {
      foreign.close();
    }
  });
});
