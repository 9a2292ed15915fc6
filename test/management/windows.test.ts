import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withRelist, type ListingRun } from '../../shared/management/listing.ts';
import type { ManagementCursor } from '../../shared/management/cursor.ts';
import { DAY_MS, HOUR_MS, earliestStart, initialPosition, nextWindow } from '../../shared/management/windows.ts';

const now = new Date('2026-11-22T12:00:00.500Z');

describe('listing windows', () => {
  it('walks forward in 24-hour windows, the widest the API serves', () => {
    const w = nextWindow(new Date('2026-11-20T00:00:00Z'), now);
    assert.deepEqual(w, { start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-11-21T00:00:00Z') });
  });

  it('covers a 7-day catch-up in 7 windows that tile without gap or overlap', () => {
    const windows = [];
    for (let w = nextWindow(earliestStart(now), now); w !== undefined; w = nextWindow(w.end, now)) windows.push(w);
    assert.equal(windows.length, 7);
    assert.deepEqual(windows[0]?.start, earliestStart(now));
    assert.equal(windows.at(-1)?.end.toISOString(), '2026-11-22T12:00:00.000Z');
    for (const [i, w] of windows.entries()) {
      assert.ok(w.end.getTime() - w.start.getTime() <= DAY_MS, `window ${i} is at most 24 hours`);
      if (i > 0) assert.deepEqual(w.start, windows[i - 1]?.end);
    }
  });

  it('starts a window where a cursor stopped inside the previous one, keeping it within 24 hours', () => {
    const w = nextWindow(new Date('2026-11-20T07:13:21.456Z'), now);
    assert.equal(w?.start.toISOString(), '2026-11-20T07:13:21.456Z');
    assert.equal(w?.end.toISOString(), '2026-11-21T07:13:21.000Z');
  });

  it('never ends in the future, and ends on a whole second', () => {
    const w = nextWindow(new Date('2026-11-22T11:30:00Z'), now);
    assert.equal(w?.end.toISOString(), '2026-11-22T12:00:00.000Z');
    assert.equal(nextWindow(new Date(now.getTime() - 300), now), undefined);
  });

  it('clamps a cursor older than 7 days and reports the lost span', () => {
    const old = new Date('2026-11-10T00:00:00Z');
    const w = nextWindow(old, now);
    assert.deepEqual(w?.start, earliestStart(now));
    assert.deepEqual(w?.lostSince, old);
    assert.equal((w?.end.getTime() ?? 0) - (w?.start.getTime() ?? 0) <= DAY_MS, true);
  });

  it('starts at MANAGEMENT_START_TIME, clamped to the 7-day limit', () => {
    assert.deepEqual(initialPosition('2026-11-22T06:00:00.000Z', now), new Date('2026-11-22T06:00:00Z'));
    assert.deepEqual(initialPosition('2026-01-01T00:00:00.000Z', now), earliestStart(now));
    assert.deepEqual(initialPosition(undefined, now), earliestStart(now));
  });
});

describe('the first window of a run, with the relist span', () => {
  const run = (relistSeconds: number, startTime?: string): ListingRun => ({
    fn: { functionName: 'auditGeneral', contentType: 'Audit.General' },
    config: { relistMs: relistSeconds * 1000, startTime },
    client: undefined as never,
    logger: undefined as never,
  });
  const at = (position: string): ManagementCursor => ({
    startTime: null,
    position,
    recent: {},
    lastStartRequest: null,
  });

  it('reaches back over the relist span and ends within 24 hours of its start', () => {
    const w = withRelist(run(43_200), at('2026-11-19T00:00:00.000Z'), now);
    assert.deepEqual(w, { start: new Date('2026-11-18T12:00:00Z'), end: new Date('2026-11-19T12:00:00Z') });
  });

  it('with the default span, lists 15 minutes again and nearly a day ahead', () => {
    const w = withRelist(run(900), at('2026-11-19T00:00:00.000Z'), now);
    assert.deepEqual(w, { start: new Date('2026-11-18T23:45:00Z'), end: new Date('2026-11-19T23:45:00Z') });
  });

  it('lists the relist span again when the cursor has caught up', () => {
    const w = withRelist(run(900), at('2026-11-22T12:00:00.000Z'), now);
    assert.deepEqual(w, { start: new Date('2026-11-22T11:45:00Z'), end: new Date('2026-11-22T12:00:00Z') });
  });

  it('never reaches before MANAGEMENT_START_TIME', () => {
    const w = withRelist(run(43_200, '2026-11-21T00:00:00.000Z'), at('2026-11-21T06:00:00.000Z'), now);
    assert.deepEqual(w?.start, new Date('2026-11-21T00:00:00Z'));
    assert.ok((w?.end.getTime() ?? 0) - (w?.start.getTime() ?? 0) <= DAY_MS);
  });

  it('a 7-day-old cursor starts at the limit, without a relist span', () => {
    const w = withRelist(run(43_200), at('2026-11-10T00:00:00.000Z'), now);
    assert.deepEqual(w?.start, earliestStart(now));
    assert.ok((w?.end.getTime() ?? 0) - (w?.start.getTime() ?? 0) <= DAY_MS);
  });

  it('keeps 24 hours even at the longest span, for any cursor of the last week', () => {
    for (let age = 0; age <= 7 * DAY_MS; age += HOUR_MS / 4) {
      // Positions are window ends, on whole seconds.
      const w = withRelist(
        run(43_200),
        at(new Date(Math.floor((now.getTime() - age) / 1000) * 1000).toISOString()),
        now,
      );
      if (w === undefined) continue;
      // As sent: the API's times have whole seconds, so the start goes out rounded down.
      const sentStart = Math.floor(w.start.getTime() / 1000) * 1000;
      assert.ok(w.end.getTime() - sentStart <= DAY_MS, `cursor ${age / HOUR_MS} h back`);
      assert.ok(w.start < w.end && w.end.getUTCMilliseconds() === 0);
    }
  });
});
