import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWindowLimiter, isRateLimitDeadline, type WindowLimiterOptions } from '../../shared/http/index.ts';

const WINDOW = 300_000;

/** A wall clock that only moves when the limiter sleeps (or the test moves it). */
function fakeClock(start = 1_700_000_000_000) {
  const clock = {
    t: start,
    slept: [] as number[],
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

/** The most requests that started in any `WINDOW`-long span of `times` (sorted). */
function mostInAnyWindow(times: readonly number[]): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j += 1) {
    while ((times[j] ?? 0) - (times[i] ?? 0) >= WINDOW) i += 1;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

async function sendAll(n: number, options: WindowLimiterOptions, clock: ReturnType<typeof fakeClock>) {
  const limiter = createWindowLimiter({ ...options, now: clock.now, sleep: clock.sleep });
  const sent: number[] = [];
  for (let i = 0; i < n; i += 1) {
    await limiter.acquire();
    sent.push(clock.t);
    // Requests take a while: 0.7 s each, so some windows straddle the sends unevenly.
    clock.t += 700;
  }
  return { limiter, sent };
}

describe('sliding-window request budget', () => {
  it('lets at most N requests out in any 300 s, with no burst above N at the start', async () => {
    const clock = fakeClock();
    const { sent } = await sendAll(400, { limit: 90, windowMs: WINDOW }, clock);
    assert.equal(mostInAnyWindow(sent), 90);
    // The first 90 go at once; the 91st waits for the first to leave the window.
    assert.equal((sent[90] ?? 0) - (sent[0] ?? 0), WINDOW);
  });

  it('carries the budget across two invocations through the stored send times', async () => {
    const clock = fakeClock();
    const first = await sendAll(60, { limit: 90, windowMs: WINDOW }, clock);
    const stored = first.limiter.sentTimes();
    assert.equal(stored.length, 60);
    clock.t += 10_000;
    const second = await sendAll(100, { limit: 90, windowMs: WINDOW, history: stored }, clock);
    const all = [...first.sent, ...second.sent];
    assert.equal(mostInAnyWindow(all), 90, 'the two runs together keep to the budget');
    // A fresh limiter per run (the old behaviour) would have let 90 more out at once.
    assert.ok((second.sent[30] ?? 0) >= (first.sent[0] ?? 0) + WINDOW);
  });

  it('forgets send times older than the window, and counts a time in the future as now', async () => {
    const clock = fakeClock();
    const limiter = createWindowLimiter({
      limit: 2,
      windowMs: WINDOW,
      history: [clock.t - WINDOW - 1, clock.t - WINDOW, clock.t + 3_600_000],
      now: clock.now,
      sleep: clock.sleep,
    });
    assert.deepEqual(limiter.sentTimes(), [clock.t]);
    await limiter.acquire();
    assert.deepEqual(clock.slept, []);
    await limiter.acquire();
    assert.deepEqual(clock.slept, [WINDOW], 'the third request in the window waited for the first to leave it');
  });

  it('refuses, without waiting, a request that could start only after the deadline', async () => {
    const clock = fakeClock();
    const limiter = createWindowLimiter({
      limit: 1,
      windowMs: WINDOW,
      deadline: clock.t + 60_000,
      now: clock.now,
      sleep: clock.sleep,
    });
    await limiter.acquire();
    await assert.rejects(limiter.acquire(), (err) => isRateLimitDeadline(err) && err.waitMs === WINDOW);
    assert.deepEqual(clock.slept, []);
    assert.equal(limiter.sentTimes().length, 1, 'a refused request is not counted');
  });

  it('refuses a request whose wait is cut short by the abort signal', async () => {
    const controller = new AbortController();
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, signal: controller.signal });
    await limiter.acquire();
    const waiting = limiter.acquire();
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(waiting, isRateLimitDeadline);
  });

  it('reports each send time as it is taken, and each wait before it starts', async () => {
    const clock = fakeClock();
    const reported: number[][] = [];
    const waits: number[] = [];
    await sendAll(
      3,
      {
        limit: 2,
        windowMs: WINDOW,
        onSent: (times) => reported.push([...times]),
        onWait: (ms) => waits.push(ms),
      },
      clock,
    );
    assert.equal(reported.length, 3);
    assert.deepEqual(reported[2]?.length, 2, 'the first send left the window before the third');
    assert.deepEqual(waits, [WINDOW - 1400]);
  });
});
