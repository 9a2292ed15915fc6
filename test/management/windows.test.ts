import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOUR_MS, earliestStart, initialPosition, nextWindow } from '../../shared/management/windows.ts';

const now = new Date('2026-11-22T12:00:00.500Z');

describe('listing windows', () => {
  it('walks forward in one-hour windows', () => {
    const w = nextWindow(new Date('2026-11-21T00:00:00Z'), now);
    assert.deepEqual(w, { start: new Date('2026-11-21T00:00:00Z'), end: new Date('2026-11-21T01:00:00Z') });
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
    assert.equal((w?.end.getTime() ?? 0) - (w?.start.getTime() ?? 0) <= HOUR_MS, true);
  });

  it('starts at MANAGEMENT_START_TIME, clamped to the 7-day limit', () => {
    assert.deepEqual(initialPosition('2026-11-22T06:00:00.000Z', now), new Date('2026-11-22T06:00:00Z'));
    assert.deepEqual(initialPosition('2026-01-01T00:00:00.000Z', now), earliestStart(now));
    assert.deepEqual(initialPosition(undefined, now), earliestStart(now));
  });
});
