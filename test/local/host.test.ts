import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isConfigError, type Env } from '../../shared/config/index.ts';
import { scheduleSetting } from '../../shared/config/schema/schedules.ts';
import type { TimerFunction } from '../../shared/timers.ts';
import { nextFireTime, startHost, timerDelay, type LocalHost } from '../../tools/local/host.ts';
import { recordingLogger } from '../integration/helpers.ts';

const at = (iso: string): Date => new Date(iso);

describe('nextFireTime', () => {
  it('finds the next slot strictly after the given time, in UTC', () => {
    assert.equal(
      nextFireTime('0 */5 * * * *', at('2026-11-22T01:22:17.500Z')).toISOString(),
      '2026-11-22T01:25:00.000Z',
    );
    assert.equal(
      nextFireTime('*/1 * * * * *', at('2026-11-22T10:00:00.000Z')).toISOString(),
      '2026-11-22T10:00:01.000Z',
    );
    assert.equal(
      nextFireTime('*/1 * * * * *', at('2026-11-22T10:00:00.999Z')).toISOString(),
      '2026-11-22T10:00:01.000Z',
    );
    // Exactly on a slot: that slot has fired, the next one is due.
    assert.equal(
      nextFireTime('30 */5 * * * *', at('2026-11-22T01:25:30.000Z')).toISOString(),
      '2026-11-22T01:30:30.000Z',
    );
    assert.equal(nextFireTime('0 0 0 1 1 *', at('2026-06-01T00:00:00Z')).toISOString(), '2027-01-01T00:00:00.000Z');
    // 2026-11-22 is a Sunday.
    assert.equal(nextFireTime('0 0 9 * * mon', at('2026-11-22T12:00:00Z')).toISOString(), '2026-11-23T09:00:00.000Z');
  });

  it('rejects a malformed expression', () => {
    assert.throws(() => nextFireTime('*/5 * * * *', new Date()), /has 5 fields/);
  });

  it('waits at most what one timer can hold, never a negative time', () => {
    assert.equal(timerDelay(1_000, 400), 600);
    assert.equal(timerDelay(1_000, 2_000), 0);
    assert.equal(timerDelay(100 * 86_400_000, 0), 2 ** 31 - 1);
  });
});

interface Fake extends TimerFunction {
  calls: number;
  active: number;
  maxActive: number;
}

/** A timer function whose invocation takes `ms` (never ends when ms is Infinity) or throws. */
function fake(name: string, expression: string, behaviour: { ms?: number; fail?: string } = {}): Fake {
  const fn: Fake = {
    name,
    schedule: scheduleSetting(`${name.toUpperCase()}_SCHEDULE`, 900, name, expression),
    calls: 0,
    active: 0,
    maxActive: 0,
    async invoke() {
      fn.calls += 1;
      fn.active += 1;
      fn.maxActive = Math.max(fn.maxActive, fn.active);
      try {
        if (behaviour.ms === Infinity) await new Promise(() => {});
        await sleep(behaviour.ms ?? 10);
        if (behaviour.fail !== undefined) throw new Error(behaviour.fail);
      } finally {
        fn.active -= 1;
      }
    },
  };
  return fn;
}

describe('local host', () => {
  let host: LocalHost | undefined;
  afterEach(async () => {
    await host?.stop(500);
    host = undefined;
  });

  it('fires a function on its schedule, logging each invocation and the next run', async () => {
    const fn = fake('everySecond', '*/1 * * * * *');
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn] });
    assert.ok(host.functions[0]?.nextRun instanceof Date);
    await sleep(2_600);
    assert.ok(fn.calls >= 2, `invoked ${fn.calls} times in 2.6 s`);
    assert.ok(logger.lines.some((l) => /^info Executing 'everySecond' \(Reason='Timer fired at .*Z', Id=/.test(l)));
    assert.ok(logger.lines.some((l) => /^info Executed 'everySecond' \(Succeeded, Id=.*, Duration=\d+ms\)/.test(l)));
    assert.ok(logger.lines.some((l) => /^info 'everySecond' next run at \d{4}-.*Z$/.test(l)));
  });

  it('takes the schedule from the setting, over the default', async () => {
    const fn = fake('configured', '0 0 0 1 1 *');
    const env: Env = { CONFIGURED_SCHEDULE: '*/1 * * * * *' };
    host = startHost({ env, logger: recordingLogger(), functions: [fn] });
    assert.equal(host.functions[0]?.expression, '*/1 * * * * *');
    await sleep(1_600);
    assert.ok(fn.calls >= 1);
  });

  it('never overlaps invocations of one function and logs the skipped slots', async () => {
    const fn = fake('slow', '*/1 * * * * *', { ms: 2_200 });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn] });
    await sleep(3_600);
    assert.equal(fn.maxActive, 1);
    assert.ok(fn.calls >= 1);
    assert.ok((host.functions[0]?.skipped ?? 0) >= 1, 'a slot came while the first invocation was running');
    assert.ok(logger.lines.some((l) => /^warn Skipping 'slow' .*still running/.test(l)));
  });

  it('skips functions disabled with AzureWebJobs.<name>.Disabled', async () => {
    const on = fake('on', '*/1 * * * * *');
    const off = fake('off', '*/1 * * * * *');
    const logger = recordingLogger();
    host = startHost({ env: { 'AzureWebJobs.off.Disabled': 'true' }, logger, functions: [on, off], runOnStart: true });
    assert.deepEqual(host.disabled, ['off']);
    assert.deepEqual(
      host.functions.map((f) => f.name),
      ['on'],
    );
    await sleep(1_600);
    assert.ok(on.calls >= 2);
    assert.equal(off.calls, 0);
    assert.ok(logger.lines.includes("info Function 'off' is disabled (AzureWebJobs.off.Disabled)."));
  });

  it('runs once at start when asked, and logs a failed invocation without stopping', async () => {
    const fn = fake('broken', '*/1 * * * * *', { fail: 'the tenant is unreachable' });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn], runOnStart: true });
    assert.equal(fn.calls, 1, 'ran at start, before the first slot');
    await sleep(1_600);
    assert.ok(fn.calls >= 2, 'kept firing after a failure');
    assert.ok((host.functions[0]?.failures ?? 0) >= 1);
    assert.ok(logger.lines.some((l) => /^error Executed 'broken' \(Failed, .*\): the tenant is unreachable$/.test(l)));
  });

  it('refuses a bad schedule with its InitVariablesError before starting anything', () => {
    const fn = fake('typo', '0 */5 * * * *');
    assert.throws(
      () => startHost({ env: { TYPO_SCHEDULE: '0 */5 * * *' }, logger: recordingLogger(), functions: [fn] }),
      (err) =>
        isConfigError(err) &&
        /InitVariablesError 900: TYPO_SCHEDULE: "0 \*\/5 \* \* \*" has 5 fields/.test(err.message),
    );
    // A disabled function's schedule is not read, as it would not be bound.
    host = startHost({
      env: { TYPO_SCHEDULE: 'nonsense', 'AzureWebJobs.typo.Disabled': '1' },
      logger: recordingLogger(),
      functions: [fn],
    });
    assert.deepEqual(host.disabled, ['typo']);
  });

  it('stops cleanly: waits for the running invocation, then fires nothing more', async () => {
    const fn = fake('finishing', '*/1 * * * * *', { ms: 800 });
    host = startHost({ env: {}, logger: recordingLogger(), functions: [fn], runOnStart: true });
    await sleep(50);
    const started = Date.now();
    const result = await host.stop(5_000);
    assert.deepEqual(result, { finished: true, abandoned: [] });
    assert.ok(Date.now() - started >= 600, 'stop waited for the invocation');
    assert.equal(fn.active, 0);
    const calls = fn.calls;
    await sleep(1_300);
    assert.equal(fn.calls, calls, 'no invocation after stop');
    assert.equal(host.functions[0]?.nextRun, undefined);
  });

  it('stops after the timeout when an invocation never ends, naming it', async () => {
    const fn = fake('stuck', '0 0 0 1 1 *', { ms: Infinity });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn], runOnStart: true });
    const started = Date.now();
    const result = await host.stop(200);
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(result, { finished: false, abandoned: ['stuck'] });
    assert.ok(logger.lines.some((l) => /^warn Stopped without waiting for stuck/.test(l)));
  });
});
