import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MESSAGE_TRACE_TAG } from '../../shared/messagetrace/collector.ts';
import { invokeMessageTrace } from '../../shared/messagetrace/invoke.ts';
import { legacyStatus, traceKey } from '../../shared/messagetrace/mapping.ts';
import type { LocalStack } from '../../tools/local/stack.ts';
import { recordingLogger, testEnv, withStack } from './helpers.ts';
import { assertResumedExactly, killMidDelivery } from './kill.ts';

const DELAY_SECONDS = 90_000;

const rwsEnv = (stack: LocalStack) => ({
  MESSAGE_TRACE_API: 'rws',
  MESSAGE_TRACE_RESOURCE: stack.simulator.rwsResource,
});

/** Trace and recipient: one row each in the simulated data (statuses do not change here). */
const rowKey = (m: Record<string, unknown>): string =>
  `${String(m.id ?? m.MessageTraceId)}|${String(m.recipientAddress ?? m.RecipientAddress).toLowerCase()}`;

/**
 * Every row received before now − delay arrived exactly once, with its status, and none received after it did; rows
 * within a few seconds of the boundary may go either way, as the run computed its own boundary.
 */
function assertRowsDelivered(stack: LocalStack, check?: (message: Record<string, unknown>) => void): number {
  const boundary = Date.now() - DELAY_SECONDS * 1000;
  const received = new Map<string, Record<string, unknown>[]>();
  for (const line of stack.receiver.lines) {
    assert.equal(line.tag, MESSAGE_TRACE_TAG);
    const message = JSON.parse(line.message) as Record<string, unknown>;
    check?.(message);
    received.set(rowKey(message), [...(received.get(rowKey(message)) ?? []), message]);
  }
  let expected = 0;
  for (const { graph, rws } of stack.simulator.expectedMessageTraceRows({ includeUnknownEnumMembers: true })) {
    const at = Date.parse(graph.receivedDateTime);
    const copies = received.get(rowKey(graph as unknown as Record<string, unknown>)) ?? [];
    const count = copies.length;
    for (const copy of copies) {
      assert.ok(
        [graph.status, rws.Status, legacyStatus(graph.status)].includes(String(copy.status ?? copy.Status)),
        `status of ${graph.id}`,
      );
    }
    if (at < boundary - 5_000) {
      expected += 1;
      assert.equal(
        count,
        1,
        `row ${graph.id} to ${graph.recipientAddress} (${graph.receivedDateTime}) arrived ${count} times`,
      );
    } else if (at > boundary + 5_000) {
      assert.equal(count, 0, `row ${graph.id} received at ${graph.receivedDateTime}, after now − delay, was sent`);
    } else {
      assert.ok(count <= 1);
    }
  }
  assert.ok(expected > 50, `a realistic number of rows was expected (${expected})`);
  return expected;
}

describe('Message trace collector end to end', () => {
  it('Graph: delivers every row older than now − delay once, in the legacy layout, keeping every recipient', async () => {
    await withStack({}, async (stack) => {
      stack.simulator.faults.add({ match: { route: 'graph' }, kind: '429', times: 1, retryAfterSeconds: 1 });
      const logger = recordingLogger();
      const started = Date.now();
      await invokeMessageTrace(testEnv(stack), logger);
      assert.ok(Date.now() - started >= 1000, 'the 429 was waited out');
      assert.ok(
        logger.lines.some((l) => /messageTrace statistics: .*throttled: 1/.test(l)),
        logger.lines.join('\n'),
      );
      await invokeMessageTrace(testEnv(stack), recordingLogger());
      const count = assertRowsDelivered(stack, (m) => {
        assert.equal(typeof m.MessageTraceId, 'string');
        assert.equal(m.Status, legacyStatus(m.Status));
        assert.ok('RecipientAddress' in m && 'StartDate' in m && 'EndDate' in m && 'Index' in m);
      });
      const byMessage = new Map<string, number>();
      for (const line of stack.receiver.lines) {
        const id = String((JSON.parse(line.message) as { MessageTraceId: string }).MessageTraceId);
        byMessage.set(id, (byMessage.get(id) ?? 0) + 1);
      }
      assert.ok(
        [...byMessage.values()].some((n) => n > 1),
        'multi-recipient messages kept one row per recipient',
      );
      assert.ok(count > 0);
    });
  });

  it('Graph: sends rows unchanged with MESSAGE_TRACE_OUTPUT_FORMAT=graph', async () => {
    await withStack({}, async (stack) => {
      await invokeMessageTrace(testEnv(stack, { MESSAGE_TRACE_OUTPUT_FORMAT: 'graph' }), recordingLogger());
      const rows = stack.simulator.expectedMessageTraceRows({ includeUnknownEnumMembers: true });
      const expected = new Map(rows.map(({ graph }) => [traceKey(graph as unknown as Record<string, unknown>), graph]));
      assertRowsDelivered(stack, (m) => assert.deepEqual(m, JSON.parse(JSON.stringify(expected.get(traceKey(m))))));
    });
  });

  for (const shape of ['light', 'verbose'] as const) {
    it(`RWS (${shape} JSON): delivers every row older than now − delay once, as returned`, async () => {
      await withStack({ simulator: { messageTrace: { rwsShape: shape, rwsPageSize: 100 } } }, async (stack) => {
        await invokeMessageTrace(testEnv(stack, rwsEnv(stack)), recordingLogger());
        await invokeMessageTrace(testEnv(stack, rwsEnv(stack)), recordingLogger());
        assertRowsDelivered(stack, (m) => assert.equal(typeof m.MessageTraceId, 'string'));
        assert.ok(stack.simulator.log.requests('rws').length > 3, 'the RWS listing was paged');
      });
    });
  }

  it('resumes after a kill in the middle of a delivery: the rerun sends what was missing, and only the killed delivery again', async () => {
    await withStack({ simulator: { messageTrace: { messages: 8000 } } }, async (stack) => {
      const kill = await killMidDelivery(stack, 'messageTrace');
      assert.ok(kill.linesAtKill > 0);
      await invokeMessageTrace(testEnv(stack), recordingLogger());
      const boundary = Date.now() - DELAY_SECONDS * 1000 - 5_000;
      const expected = stack.simulator
        .expectedMessageTraceRows({ includeUnknownEnumMembers: true })
        .filter(({ graph }) => Date.parse(graph.receivedDateTime) < boundary)
        .map(({ graph }) => traceKey(graph as unknown as Record<string, unknown>));
      assertResumedExactly(stack, kill, expected, (m) => traceKey(JSON.parse(m) as Record<string, unknown>));
    });
  });

  it('stops inside a window when its time is up, reads smaller windows next, and delivers every row once', async () => {
    await withStack({ simulator: { messageTrace: { rwsPageSize: 10 } } }, async (stack) => {
      // Pages 1-3 of the first window come at once; the fourth takes longer than the run has left, so the deadline
      // falls inside a window with more pages to come.
      stack.simulator.faults.add({ match: { route: 'rws' }, kind: 'delay-headers', delayMs: 4000, after: 3, times: 1 });
      // Three days back, where the simulated mail is, so the first window holds many pages.
      const env = testEnv(stack, { ...rwsEnv(stack), MESSAGE_TRACE_DAYS_BACK: '3' });
      // A run whose default 30-minute budget (less its 4.5-minute margin) ends three seconds from now.
      const startedAt = Date.now() - (30 - 4.5) * 60_000 + 3000;
      const logger = recordingLogger();
      await invokeMessageTrace(env, logger, { startedAt });
      assert.ok(
        logger.lines.some((l) => l.includes('did not fit in this run')),
        logger.lines.join('\n'),
      );
      stack.simulator.faults.clear();
      await invokeMessageTrace(env, recordingLogger());
      assertRowsDelivered(stack);
    });
  });

  it('Graph: retries pages cut short, stalled, or answered with HTML or non-JSON, and delivers every row once', async () => {
    await withStack({}, async (stack) => {
      const f = stack.simulator.faults;
      const kinds = ['truncated-length', 'truncated-chunked', 'malformed-json', 'html-200', 'non-json-200'] as const;
      // One after the other on the same page: its retries meet every kind in turn.
      for (const kind of kinds) f.add({ match: { route: 'graph' }, kind });
      f.add({ match: { route: 'graph' }, kind: 'stall-body', delayMs: 5000 });
      const env = testEnv(stack, { HTTP_RETRIES: '8', HTTP_TIMEOUT_SECONDS: '1', HTTP_MAX_RETRY_WAIT_SECONDS: '1' });
      const logger = recordingLogger();
      await invokeMessageTrace(env, logger);
      for (const fault of f.list()) assert.equal(fault.remaining, 0, `${fault.spec.kind} fired`);
      assert.ok(!logger.lines.some((l) => l.includes('stopped early')), logger.lines.join('\n'));
      assertRowsDelivered(stack);
    });
  });

  it('Graph: a page that keeps failing stops the run quietly, and the next run reads its window again', async () => {
    await withStack({}, async (stack) => {
      stack.simulator.faults.add({ match: { route: 'graph' }, kind: '503', after: 1, times: 1000 });
      const logger = recordingLogger();
      // Three days back, where the simulated mail is, so the windows read before the failure hold rows.
      const env = testEnv(stack, { MESSAGE_TRACE_DAYS_BACK: '3' });
      const stats = await invokeMessageTrace({ ...env, HTTP_RETRIES: '1' }, logger);
      assert.equal(stats.stoppedEarly, true);
      assert.ok(
        logger.lines.some((l) => l.includes('the next run reads it again')),
        logger.lines.join('\n'),
      );
      const sent = stack.receiver.lines.length;
      assert.ok(sent > 0, 'the windows before the failure were delivered');
      stack.simulator.faults.clear();
      await invokeMessageTrace(env, recordingLogger());
      assertRowsDelivered(stack);
    });
  });

  it('clears its persistence when MESSAGE_TRACE_RESET changes: the filter is gone and every row is sent again', async () => {
    await withStack({}, async (stack) => {
      await invokeMessageTrace(testEnv(stack), recordingLogger());
      const first = stack.receiver.lines.length;
      assert.ok(first > 50);
      const logger = recordingLogger();
      await invokeMessageTrace(testEnv(stack, { MESSAGE_TRACE_RESET: '2026-11-22' }), logger);
      assert.ok(
        logger.lines.some((l) => l.includes('MESSAGE_TRACE_RESET changed') && l.includes('starting over')),
        logger.lines.join('\n'),
      );
      // Starting over from MESSAGE_TRACE_DAYS_BACK with an empty filter: each row of the first run arrives once more.
      const keys = stack.receiver.lines.map((l) => traceKey(JSON.parse(l.message) as Record<string, unknown>));
      const before = new Set(keys.slice(0, first));
      const after = keys.slice(first);
      assert.equal(new Set(after).size, after.length, 'the second run sent each row once');
      for (const key of before) assert.ok(after.includes(key), `row ${key} was not sent again after the reset`);
    });
  });

  it('keeps its cursor when MESSAGE_TRACE_RESET is removed, and says so once', async () => {
    await withStack({}, async (stack) => {
      await invokeMessageTrace(testEnv(stack, { MESSAGE_TRACE_RESET: '2026-11-22' }), recordingLogger());
      const delivered = stack.receiver.lines.length;
      assert.ok(delivered > 0);
      const runs = [recordingLogger(), recordingLogger()];
      for (const logger of runs) await invokeMessageTrace(testEnv(stack), logger);
      const said = (l: string): boolean => l.includes('MESSAGE_TRACE_RESET was removed') && l.includes('kept');
      assert.equal(runs[0]?.lines.filter(said).length, 1, runs[0]?.lines.join('\n'));
      assert.equal(runs[1]?.lines.filter(said).length, 0, 'said once');
      for (const logger of runs) assert.ok(!logger.lines.some((l) => l.includes('starting over')));
      assert.equal(stack.receiver.lines.length, delivered, 'nothing was collected again');
    });
  });

  it('Graph: two back-to-back runs share one budget of MESSAGE_TRACE_REQUESTS_PER_5_MINUTES in any 5 minutes', async () => {
    // Graph's own quota, as strict as the setting: one request over it would be refused with a 429.
    await withStack({ simulator: { messageTrace: { graphThrottle: { limit: 4 } } } }, async (stack) => {
      const env = testEnv(stack, { MESSAGE_TRACE_REQUESTS_PER_5_MINUTES: '4', MESSAGE_TRACE_DAYS_BACK: '7' });
      // Runs whose default 30-minute budget (less its 4.5-minute margin) ends ten seconds from now: too soon to wait
      // five minutes for room in the budget.
      const shortRun = () => ({ startedAt: Date.now() - (30 - 4.5) * 60_000 + 10_000 });
      const first = recordingLogger();
      const stats = await invokeMessageTrace(env, first, shortRun());
      assert.equal(stats.requests, 4, 'the first run spent the budget');
      assert.equal(stats.stoppedEarly, true, first.lines.join('\n'));
      const second = recordingLogger();
      const again = await invokeMessageTrace(env, second, shortRun());
      assert.equal(again.requests, 0, 'the second run found the budget spent by the first');
      assert.ok(
        second.lines.some((l) => l.includes('request budget has no room')),
        second.lines.join('\n'),
      );
      assert.equal(stack.simulator.log.requests('graph').length, 4);
      assert.equal(stack.simulator.messageTrace.throttled, 0, 'Graph never had to refuse a request');
    });
  });
});
