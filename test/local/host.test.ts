import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
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

/**
 * A timer function whose invocation takes `ms` on the (fake) clock, never ends when ms is Infinity, or throws. It
 * waits with the global setTimeout, looked up at call time, so the mocked timers drive it like the host.
 */
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
        await new Promise((resolve) => setTimeout(resolve, behaviour.ms ?? 10));
        if (behaviour.fail !== undefined) throw new Error(behaviour.fail);
      } finally {
        fn.active -= 1;
      }
    },
  };
  return fn;
}

/** Half a second before a whole second, so the first slot of a 1 s schedule is 500 ms away. */
const START = Date.parse('2026-11-22T10:00:00.500Z');

/**
 * Replaces setTimeout and Date with a clock the test moves: every firing happens at its slot, however busy the
 * machine is. setImmediate stays real, to let the promises of an invocation settle between steps.
 */
function fakeClock(): { advance(ms: number): Promise<void> } {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: START });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    async advance(ms: number) {
      await settle();
      for (let left = ms; left > 0; left -= 10) {
        mock.timers.tick(Math.min(10, left));
        await settle();
      }
    },
  };
}

/** Whether a promise has settled yet, without waiting for it. */
function tracked<T>(promise: Promise<T>): { settled: boolean; value: Promise<T> } {
  const state = { settled: false, value: promise };
  void promise.finally(() => (state.settled = true));
  return state;
}

describe('local host', () => {
  let host: LocalHost | undefined;
  afterEach(async () => {
    mock.timers.reset();
    await host?.stop(500);
    host = undefined;
  });

  it('fires a function on its schedule, logging each invocation and the next run', async () => {
    const clock = fakeClock();
    const fn = fake('everySecond', '*/1 * * * * *');
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn] });
    assert.equal(host.functions[0]?.nextRun?.toISOString(), '2026-11-22T10:00:01.000Z');
    await clock.advance(499);
    assert.equal(fn.calls, 0, 'nothing before the first slot');
    await clock.advance(1);
    assert.equal(fn.calls, 1, 'fired at the first slot');
    assert.equal(host.functions[0]?.nextRun?.toISOString(), '2026-11-22T10:00:02.000Z');
    await clock.advance(1_000);
    assert.equal(fn.calls, 2, 'and at the next one');
    await clock.advance(20);
    assert.equal(host.functions[0]?.invocations, 2);
    assert.ok(
      logger.lines.some((l) =>
        /^info Executing 'everySecond' \(Reason='Timer fired at 2026-11-22T10:00:02\.000Z', Id=/.test(l),
      ),
    );
    assert.ok(logger.lines.some((l) => /^info Executed 'everySecond' \(Succeeded, Id=.*, Duration=10ms\)/.test(l)));
    assert.ok(logger.lines.includes("info 'everySecond' next run at 2026-11-22T10:00:03.000Z"));
  });

  it('takes the schedule from the setting, over the default', async () => {
    const clock = fakeClock();
    const fn = fake('configured', '0 0 0 1 1 *');
    const env: Env = { CONFIGURED_SCHEDULE: '*/1 * * * * *' };
    host = startHost({ env, logger: recordingLogger(), functions: [fn] });
    assert.equal(host.functions[0]?.expression, '*/1 * * * * *');
    await clock.advance(500);
    assert.equal(fn.calls, 1, 'fired at the next whole second, not next New Year');
  });

  it('never overlaps invocations of one function and logs the skipped slots', async () => {
    const clock = fakeClock();
    const fn = fake('slow', '*/1 * * * * *', { ms: 2_200 });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn] });
    // Fires at 1 s and runs until 3.2 s: the slots at 2 s and 3 s are skipped, the one at 4 s fires.
    await clock.advance(3_400);
    assert.equal(fn.calls, 1);
    assert.equal(host.functions[0]?.skipped, 2, 'the slots that came while the first invocation was running');
    assert.ok(logger.lines.some((l) => /^warn Skipping 'slow' .*still running/.test(l)));
    await clock.advance(200);
    assert.equal(fn.calls, 2);
    assert.equal(fn.maxActive, 1);
  });

  it('skips functions disabled with AzureWebJobs.<name>.Disabled', async () => {
    const clock = fakeClock();
    const on = fake('on', '*/1 * * * * *');
    const off = fake('off', '*/1 * * * * *');
    const logger = recordingLogger();
    host = startHost({ env: { 'AzureWebJobs.off.Disabled': 'true' }, logger, functions: [on, off], runOnStart: true });
    assert.deepEqual(host.disabled, ['off']);
    assert.deepEqual(
      host.functions.map((f) => f.name),
      ['on'],
    );
    await clock.advance(1_500);
    assert.equal(on.calls, 3, 'at start, then at 1 s and 2 s');
    assert.equal(off.calls, 0);
    assert.ok(logger.lines.includes("info Function 'off' is disabled (AzureWebJobs.off.Disabled)."));
  });

  it('runs once at start when asked, and logs a failed invocation without stopping', async () => {
    const clock = fakeClock();
    const fn = fake('broken', '*/1 * * * * *', { fail: 'the tenant is unreachable' });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn], runOnStart: true });
    assert.equal(fn.calls, 1, 'ran at start, before the first slot');
    await clock.advance(20);
    assert.equal(host.functions[0]?.failures, 1);
    await clock.advance(500);
    assert.equal(fn.calls, 2, 'kept firing after a failure');
    assert.equal(host.functions[0]?.failures, 2);
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
    const clock = fakeClock();
    const fn = fake('finishing', '*/1 * * * * *', { ms: 800 });
    host = startHost({ env: {}, logger: recordingLogger(), functions: [fn], runOnStart: true });
    await clock.advance(50);
    const stopping = tracked(host.stop(5_000));
    await clock.advance(740);
    assert.equal(stopping.settled, false, 'stop waits while the invocation runs');
    assert.equal(fn.active, 1);
    await clock.advance(20);
    assert.equal(stopping.settled, true, 'and returns once it has ended');
    assert.deepEqual(await stopping.value, { finished: true, abandoned: [] });
    assert.equal(fn.active, 0);
    const calls = fn.calls;
    await clock.advance(3_000);
    assert.equal(fn.calls, calls, 'no invocation after stop');
    assert.equal(host.functions[0]?.nextRun, undefined);
  });

  it('stops after the timeout when an invocation never ends, naming it', async () => {
    const clock = fakeClock();
    const fn = fake('stuck', '0 0 0 1 1 *', { ms: Infinity });
    const logger = recordingLogger();
    host = startHost({ env: {}, logger, functions: [fn], runOnStart: true });
    const stopping = tracked(host.stop(200));
    await clock.advance(190);
    assert.equal(stopping.settled, false, 'waits up to the timeout');
    await clock.advance(10);
    assert.equal(stopping.settled, true, 'and no longer');
    assert.deepEqual(await stopping.value, { finished: false, abandoned: ['stuck'] });
    assert.ok(logger.lines.some((l) => /^warn Stopped without waiting for stuck/.test(l)));
  });
});
