import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RECENT,
  WindowWalk,
  advanceTo,
  upgradeCursor,
  type ManagementCursor,
} from '../../shared/management/cursor.ts';

const MIN = 60_000;
const cursor: ManagementCursor = {
  startTime: null,
  position: '2026-11-22T10:00:00.000Z',
  recent: {},
  lastStartRequest: null,
};
const blob = (id: string, minute: number) => ({
  contentId: id,
  contentCreated: new Date(Date.parse('2026-11-22T10:00:00Z') + minute * MIN).toISOString(),
});

describe('Management cursor', () => {
  /** The cursor after settling `ids`, in that order, one at a time as the collector does. */
  const settleAll = (sorted: ReturnType<typeof blob>[], ids: string[]): ManagementCursor => {
    const walk = new WindowWalk(sorted);
    let next = cursor;
    for (const id of ids) {
      walk.settle(sorted.find((b) => b.contentId === id) as ReturnType<typeof blob>);
      // A cursor taken after each one, as a checkpoint may: taking it changes nothing of the walk.
      next = walk.cursorFrom(next, 15 * MIN);
    }
    return next;
  };

  it('moves to the first blob not done and remembers the done ones', () => {
    const sorted = [blob('a', 1), blob('b', 2), blob('c', 2), blob('d', 5)];
    const next = settleAll(sorted, ['a', 'b']);
    assert.equal(next.position, sorted[2]?.contentCreated);
    assert.deepEqual(Object.keys(next.recent), ['a', 'b']);
  });

  it('stops at the first blob not settled, and remembers the ones settled after it', () => {
    const sorted = [blob('a', 1), blob('b', 2), blob('c', 3), blob('d', 5)];
    const next = settleAll(sorted, ['d', 'a', 'c']);
    assert.equal(next.position, sorted[1]?.contentCreated);
    assert.deepEqual(Object.keys(next.recent).sort(), ['a', 'c', 'd']);
  });

  it('moves over every blob settled out of order once the one holding it back settles', () => {
    const sorted = [blob('a', 1), blob('b', 2), blob('c', 3), blob('d', 5), blob('e', 6)];
    const next = settleAll(sorted, ['c', 'd', 'b', 'a']);
    assert.equal(next.position, sorted[4]?.contentCreated);
    assert.deepEqual(Object.keys(next.recent).sort(), ['a', 'b', 'c', 'd']);
  });

  it('keeps the position when every blob is done (the caller moves it to the window end)', () => {
    const next = settleAll([blob('a', 1)], ['a']);
    assert.equal(next.position, cursor.position);
    assert.deepEqual(Object.keys(next.recent), ['a']);
  });

  it('settles a window of thousands of blobs in linear time', () => {
    const sorted = Array.from({ length: 20_000 }, (_, i) => blob(`b${i}`, i / 20));
    const walk = new WindowWalk(sorted);
    let next = cursor;
    const started = performance.now();
    sorted.forEach((b, i) => {
      walk.settle(b);
      if (i % 500 === 0) next = walk.cursorFrom(next, 15 * MIN);
    });
    next = walk.cursorFrom(next, 15 * MIN);
    // Rescanning the window at each settle took about a minute for 5,000 blobs; a linear walk takes well under this.
    assert.ok(performance.now() - started < 5_000, `settling took ${Math.round(performance.now() - started)} ms`);
    assert.equal(walk.settled, sorted.length);
    // Where the last cursor taken during the walk put it; the caller moves it to the window end.
    assert.equal(next.position, sorted[19_501]?.contentCreated);
  });

  it('forgets done blobs older than the relist span before the new position', () => {
    const withRecent = { ...cursor, recent: { old: '2026-11-22T09:40:00.000Z', kept: '2026-11-22T09:50:00.000Z' } };
    const next = advanceTo(withRecent, '2026-11-22T10:00:00.000Z', 15 * MIN);
    assert.deepEqual(next.recent, { kept: '2026-11-22T09:50:00.000Z' });
  });

  it('remembers at most MAX_RECENT done blobs, the newest', () => {
    const recent = Object.fromEntries(
      Array.from({ length: MAX_RECENT + 10 }, (_, i) => [
        `b${i}`,
        new Date(Date.parse(cursor.position) - i * 1000).toISOString(),
      ]),
    );
    const next = advanceTo({ ...cursor, recent }, cursor.position, 24 * 60 * MIN);
    assert.equal(Object.keys(next.recent).length, MAX_RECENT);
    assert.ok(next.recent.b0 !== undefined && next.recent[`b${MAX_RECENT + 5}`] === undefined);
  });

  it('upgrades a version 1 cursor', () => {
    const v1 = { startTime: null, position: '2026-11-22T10:00:00.000Z', doneIds: ['x', 'y'], lastStartRequest: null };
    assert.deepEqual(upgradeCursor(1, v1), {
      startTime: null,
      position: '2026-11-22T10:00:00.000Z',
      recent: { x: '2026-11-22T10:00:00.000Z', y: '2026-11-22T10:00:00.000Z' },
      lastStartRequest: null,
    });
  });
});
