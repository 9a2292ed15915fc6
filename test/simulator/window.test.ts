import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  decodePageToken,
  encodePageToken,
  formatApiTime,
  parseApiTime,
  resolveWindow,
} from '../../tools/simulator/management/window.ts';

const RULES = { maxWindowMs: 86_400_000, maxStartAgeMs: 7 * 86_400_000, errorCode: 'AF20055' as const };

it('parses the documented UTC time shapes and tolerated suffixes', () => {
  assert.equal(parseApiTime('2026-11-20'), Date.UTC(2026, 10, 20));
  assert.equal(parseApiTime('2026-11-20T10:01'), Date.UTC(2026, 10, 20, 10, 1));
  assert.equal(parseApiTime('2026-11-20T10:01:02'), Date.UTC(2026, 10, 20, 10, 1, 2));
  assert.equal(parseApiTime('2026-11-20T10:01:02.5Z'), Date.UTC(2026, 10, 20, 10, 1, 2, 500));
  assert.equal(parseApiTime('2026-11-20T10:01:02+01:00'), Date.UTC(2026, 10, 20, 9, 1, 2));
  for (const bad of [
    '2026-11-20 10:01:02',
    '2026-11-20T10:01:02 01:00',
    '2026-13-01',
    '2026-02-29',
    '20261120',
    '2026-11-20T24:00',
  ]) {
    assert.equal(parseApiTime(bad), undefined, bad);
  }
  assert.equal(formatApiTime(Date.UTC(2026, 10, 20, 10, 1, 2)), '2026-11-20T10:01:02');
  assert.equal(formatApiTime(Date.UTC(2026, 10, 20, 10, 1, 2, 5)), '2026-11-20T10:01:02.005');
});

it('resolves the default window and rejects half windows', () => {
  const now = Date.UTC(2026, 10, 20, 12);
  assert.deepEqual(resolveWindow(undefined, undefined, now, RULES), { ok: true, start: now - 86_400_000, end: now });
  assert.equal(resolveWindow('2026-11-20', undefined, now, RULES).ok, false);
  assert.deepEqual(resolveWindow('x', '2026-11-20', now, RULES), {
    ok: false,
    code: 'AF20002',
    message:
      "Invalid parameter type: startTime='x'. Expected yyyy-MM-dd, yyyy-MM-ddTHH:mm or yyyy-MM-ddTHH:mm:ss (UTC).",
  });
});

it('round-trips next-page tokens and refuses foreign ones', () => {
  const key = { created: Date.UTC(2026, 10, 20, 10, 1, 2, 123), seq: 45 };
  const token = encodePageToken(key);
  assert.equal(token, '20261120100102123R000000045');
  assert.deepEqual(decodePageToken(token), key);
  assert.equal(decodePageToken('2026112010010212R1'), undefined);
  assert.equal(decodePageToken('20261320100102123R000000045'), undefined);
});
