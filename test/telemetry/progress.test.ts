import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressAt, progressLine, watchProgress, BEHIND_MS } from '../../shared/telemetry/progress.ts';

const H = 3_600_000;
const base = Date.UTC(2026, 10, 20);

describe('progress', () => {
  it('reports the share done, the rate and a time to catch up that falls as the run goes on', () => {
    const from = base - 7 * 24 * H;
    const at = (elapsedMs: number, covered: number) =>
      progressAt({
        functionName: 'auditExchange',
        from,
        position: from + covered,
        startedAt: base,
        now: base + elapsedMs,
        eventsSent: 3000,
        eventsQueued: 4000,
        previous: { at: base + elapsedMs - 15_000, eventsQueued: 2500 },
      });
    // A day of content every 15 s.
    const first = at(15_000, 24 * H);
    const later = at(60_000, 4 * 24 * H);
    assert.ok(first !== undefined && later !== undefined);
    assert.ok(Math.abs(first.shareDone - 1 / 7) < 0.001);
    assert.equal(first.eventsPerSecond, 100);
    assert.ok(first.etaSeconds !== undefined && later.etaSeconds !== undefined);
    assert.ok(later.etaSeconds < first.etaSeconds, `${later.etaSeconds} s after ${first.etaSeconds} s`);
    // 6 days left at 1 day per 15 s (minus the second per second the target moves on): about 90 s.
    assert.ok(Math.abs(first.etaSeconds - 90) < 1, String(first.etaSeconds));
    assert.match(
      progressLine(first),
      /^auditExchange progress: at 2026-11-14T00:00:00\.000Z; 14\.3 % of the backlog done; events sent: 3000; events queued: 4000; 100\.0 events\/s; caught up in about 90 s$/,
    );
  });

  it('says nothing at the live edge, and gives no time while nothing is done', () => {
    const live = progressAt({
      functionName: 'f',
      from: base - BEHIND_MS / 2,
      position: base - BEHIND_MS / 2,
      startedAt: base,
      now: base + 15_000,
      eventsSent: 0,
      eventsQueued: 0,
      previous: { at: base, eventsQueued: 0 },
    });
    assert.equal(live, undefined);
    const stuck = progressAt({
      functionName: 'f',
      from: base - 48 * H,
      position: base - 48 * H,
      startedAt: base,
      now: base + 15_000,
      eventsSent: 0,
      eventsQueued: 0,
      previous: { at: base, eventsQueued: 0 },
    });
    assert.equal(stuck?.etaSeconds, undefined);
    assert.match(progressLine(stuck!), /caught up in not yet known$/);
  });

  it('ticks on its interval while behind, and stops', async () => {
    const lines: string[] = [];
    const logger = { debug() {}, info: (m: string) => void lines.push(m), warn() {}, error() {} };
    let position = new Date(Date.now() - 7 * 24 * H).toISOString();
    const reports: number[] = [];
    const watch = watchProgress({
      functionName: 'f',
      logger,
      stats: { eventsSent: 0, eventsQueued: 0 },
      position: () => position,
      intervalMs: 20,
      onReport: (r) => reports.push(r.shareDone),
    });
    await new Promise((resolve) => setTimeout(resolve, 70));
    position = new Date(Date.now() - 3 * 24 * H).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 50));
    watch.stop();
    const count = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(count >= 3, `${count} lines`);
    assert.equal(lines.length, count, 'nothing after stop');
    assert.ok((reports.at(-1) ?? 0) > 0.5, 'the share done reached the gauge');
  });
});
