import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resetDecision } from '../../shared/state/reset-policy.ts';

describe('reset policy', () => {
  it('resets only on a new, non-empty value', () => {
    assert.deepEqual(resetDecision('2026-11-01', '2026-11-02', false), { reset: true, noteRemoval: false });
    assert.deepEqual(resetDecision(null, '2026-11-02', false), { reset: true, noteRemoval: false });
    assert.deepEqual(resetDecision('2026-11-01', '2026-11-01', true), { reset: false, noteRemoval: false });
    assert.deepEqual(resetDecision(null, null, false), { reset: false, noteRemoval: false });
  });

  it('keeps the persistence when the setting is removed, and says so once', () => {
    assert.deepEqual(resetDecision('2026-11-01', null, false), { reset: false, noteRemoval: true });
    assert.deepEqual(resetDecision('2026-11-01', null, true), { reset: false, noteRemoval: false });
  });
});
