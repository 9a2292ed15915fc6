import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resetDecision } from '../../shared/state/reset-policy.ts';

const cursor: { position: string; settingRemoved?: true } = { position: 'p' };

describe('reset policy', () => {
  it('resets only on a new, non-empty value', () => {
    assert.deepEqual(resetDecision(cursor, '2026-11-01', '2026-11-02'), { reset: true });
    assert.deepEqual(resetDecision(cursor, null, '2026-11-02'), { reset: true });
    assert.deepEqual(resetDecision({ ...cursor, settingRemoved: true as const }, '2026-11-01', '2026-11-01'), {
      reset: false,
      cursor,
      noteRemoval: false,
    });
    assert.deepEqual(resetDecision(cursor, null, null), { reset: false, cursor, noteRemoval: false });
  });

  it('keeps the cursor when the setting is removed, and says so once', () => {
    const first = resetDecision(cursor, '2026-11-01', null);
    assert.deepEqual(first, { reset: false, cursor: { ...cursor, settingRemoved: true }, noteRemoval: true });
    assert.ok(!first.reset);
    assert.deepEqual(resetDecision(first.cursor, '2026-11-01', null), {
      reset: false,
      cursor: { ...cursor, settingRemoved: true },
      noteRemoval: false,
    });
  });
});
