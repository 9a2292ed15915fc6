import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';
import { atLevel, localLogLevel } from '../../tools/local/settings.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';
import { trustTestCa } from '../support/tls.ts';
import { publish, recordingLogger, testEnv } from './helpers.ts';

/** One pattern per kind of trace the debug mode promises. */
const TRACES: Record<string, RegExp> = {
  request: /^debug auditGeneral: request GET https:\/\/\S+ -> 200 \(attempt 1, \d+ ms\)$/,
  window: /^debug auditGeneral: window \S+Z\.\.\S+Z: \d+ page\(s\), \d+ blob\(s\)$/,
  blob: /^debug auditGeneral: blob \S+: [1-9]\d* record\(s\), \d+ duplicate\(s\), [1-9]\d* bytes$/,
  checkpoint:
    /^debug auditGeneral: checkpoint: [1-9]\d* event\(s\) confirmed, [1-9]\d* state bytes written, cursor at \S+Z$/,
  'Devo connect': /^debug auditGeneral: Devo connect \(\d+ ms\)$/,
  'Devo confirm': /^debug auditGeneral: Devo confirm: [1-9]\d* line\(s\), [1-9]\d* bytes$/,
};

/** Everything that must never reach a log line, at any level. */
function secretsOf(stack: LocalStack): string[] {
  const sim = stack.simulator;
  const pem = (text: string | undefined) =>
    (text ?? '')
      .split('\n')
      .filter((line) => line.length > 40 && !line.startsWith('-----'))
      .slice(0, 3);
  const records = sim.expectedUniqueRecords('Audit.General' as never).flatMap((text) => {
    const r = JSON.parse(text) as { UserId?: unknown; ObjectId?: unknown; Subject?: unknown };
    return [r.UserId, r.Subject].filter((v): v is string => typeof v === 'string' && v.length > 6);
  });
  return [
    sim.tenantId,
    sim.clientId,
    sim.clientSecret,
    ...pem(stack.env.DEVO_KEY),
    ...pem(stack.env.DEVO_CERT),
    'Bearer ',
    'eyJ',
    ...records.slice(0, 50),
  ];
}

function assertNoLeak(stack: LocalStack, lines: readonly string[]): void {
  for (const secret of secretsOf(stack)) {
    const line = lines.find((l) => l.toLowerCase().includes(secret.toLowerCase()));
    assert.equal(line, undefined, `a log line holds ${secret.slice(0, 6)}…: ${line ?? ''}`);
  }
}

describe('debug mode', () => {
  let stack: LocalStack;
  before(async () => {
    trustTestCa();
    stack = await startLocalStack();
  });
  after(() => stack.close());
  afterEach(() => stack.simulator.faults.clear());

  it('--debug or LOG_LEVEL=debug turns it on; info is the default', () => {
    assert.equal(localLogLevel(['auditGeneral', '--debug'], {}), 'debug');
    assert.equal(localLogLevel([], { LOG_LEVEL: 'debug' }), 'debug');
    assert.equal(localLogLevel([], { LOG_LEVEL: 'DEBUG' }), 'debug');
    assert.equal(localLogLevel([], {}), 'info');
  });

  it('prints one trace of each kind with debug on, none without, and no secret or record content', async () => {
    await publish(stack, 'Audit.General', 3);
    const debug = recordingLogger();
    await invokeManagementFunction('auditGeneral', testEnv(stack), atLevel('debug', debug));
    for (const [kind, pattern] of Object.entries(TRACES)) {
      assert.ok(
        debug.lines.some((l) => pattern.test(l)),
        `no ${kind} trace:\n${debug.lines.filter((l) => l.startsWith('debug')).join('\n')}`,
      );
    }
    assertNoLeak(stack, debug.lines);

    await publish(stack, 'Audit.General', 2);
    const quiet = recordingLogger();
    await invokeManagementFunction('auditGeneral', testEnv(stack), atLevel('info', quiet));
    assert.deepEqual(
      quiet.lines.filter((l) => l.startsWith('debug')),
      [],
    );
    assert.ok(
      quiet.lines.some((l) => l.includes('statistics')),
      quiet.lines.join('\n'),
    );
  });

  it('masks the tenant ID in retry warnings and request traces', async () => {
    stack.simulator.faults.add({ match: { route: 'content' }, kind: '500', times: 1 });
    const logger = recordingLogger();
    await invokeManagementFunction('auditGeneral', testEnv(stack), logger);
    assert.ok(logger.lines.some((l) => l.startsWith('warn auditGeneral: retry 1 of https://')));
    assert.ok(logger.lines.some((l) => / -> 500 \(attempt 1, /.test(l)));
    assertNoLeak(stack, logger.lines);
  });

  describe('legacy ApiError IDs', () => {
    const cases: { id: number; fault: Parameters<LocalStack['simulator']['faults']['add']>[0] }[] = [
      {
        id: 400,
        fault: { match: { route: 'blob' }, kind: 'error', status: 400, code: 'AF20001', message: 'Bad request.' },
      },
      {
        id: 401,
        fault: { match: { route: 'content' }, kind: 'error', status: 401, code: 'AF50005', message: 'Denied.' },
      },
      { id: 402, fault: { match: { route: 'content' }, kind: '429', retryAfterSeconds: 1 } },
      { id: 402, fault: { match: { route: 'blob' }, kind: '500' } },
      { id: 403, fault: { match: { route: 'blob' }, kind: 'not-found' } },
    ];
    for (const { id, fault } of cases) {
      it(`logs ApiError ${id} for ${fault.kind} ${fault.status ?? ''} on ${String(fault.match?.route)}`, async () => {
        await publish(stack, 'Audit.General', 2);
        stack.simulator.faults.add({ ...fault, times: 1000 });
        const logger = recordingLogger();
        const lines: string[] = logger.lines;
        const failing: Logger = logger;
        await invokeManagementFunction('auditGeneral', testEnv(stack, { HTTP_RETRIES: '1' }), failing).catch(
          (err: unknown) => lines.push(`thrown ${err instanceof Error ? err.message : String(err)}`),
        );
        const line = lines.find((l) => l.includes(`ApiError ${id}: `));
        assert.ok(line, `no ApiError ${id}:\n${lines.join('\n')}`);
        assert.match(line, /Management API .* failed: /);
        assert.match(line, /to fix: /);
        assertNoLeak(stack, lines);
      });
    }
  });
});
