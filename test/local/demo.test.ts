import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGEMENT_FUNCTIONS } from '../../shared/management/content-types.ts';
import { TIMER_FUNCTIONS, isDisabled } from '../../shared/timers.ts';
import { demoEnv, demoStartTime, sampleLine, tagSummary } from '../../tools/local/demo.ts';

describe('demo helpers', () => {
  it('runs every Management function each minute and switches off what the stack does not simulate', () => {
    const env = demoEnv({ MANAGEMENT_API_URL: 'https://127.0.0.1:1' }, Date.parse('2026-11-22T01:22:17Z'));
    for (const fn of MANAGEMENT_FUNCTIONS) {
      assert.equal(isDisabled(fn.functionName, env), false);
      assert.equal(env[fn.schedule.name], '0 */1 * * * *');
    }
    for (const fn of TIMER_FUNCTIONS) {
      const served = fn.name === 'uriRetry' || MANAGEMENT_FUNCTIONS.some((m) => m.functionName === fn.name);
      assert.equal(isDisabled(fn.name, env), !served, `${fn.name} would reach a real Microsoft endpoint`);
    }
    assert.equal(env.MANAGEMENT_START_TIME, '2026-11-19T00:00:00.000Z');
  });

  it('starts three days back at midnight UTC, covering the simulator’s two days of seeded content', () => {
    assert.equal(demoStartTime(Date.parse('2026-11-22T23:59:59Z')), '2026-11-19T00:00:00.000Z');
  });

  it('summarises only the tags that grew, aligned, and remembers the totals', () => {
    const previous = new Map<string, number>();
    const first = tagSummary(
      new Map([
        ['cloud.office365.management.exchange', 12],
        ['cloud.office365.management.azureactivedirectory', 3],
      ]),
      previous,
    );
    assert.deepEqual(first, [
      '  cloud.office365.management.azureactivedirectory  +3    (total 3)',
      '  cloud.office365.management.exchange              +12   (total 12)',
    ]);
    const second = tagSummary(
      new Map([
        ['cloud.office365.management.exchange', 85],
        ['cloud.office365.management.azureactivedirectory', 3],
      ]),
      previous,
    );
    assert.deepEqual(second, ['  cloud.office365.management.exchange              +73   (total 85)']);
    assert.deepEqual(tagSummary(new Map([['cloud.office365.management.exchange', 85]]), previous), []);
  });

  it('flattens and shortens a sample line', () => {
    assert.equal(sampleLine('{"a":\n 1}'), '{"a": 1}');
    const long = sampleLine('x'.repeat(500), 20);
    assert.equal(long.length, 20);
    assert.ok(long.endsWith('...'));
  });
});
