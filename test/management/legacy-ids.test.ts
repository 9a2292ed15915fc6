import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEGACY_API_ERRORS, legacyApiErrorId, legacyPrefix } from '../../shared/management/legacy-ids.ts';

describe('legacy ApiError IDs', () => {
  const cases: [number | undefined, string | undefined, number | undefined][] = [
    [400, 'AF20055', 400],
    [400, undefined, 400],
    [401, undefined, 401],
    [401, 'AF10001', 401],
    [429, undefined, 402],
    [403, 'AF429', 402],
    [500, undefined, 402],
    [503, 'AF50005', 402],
    [403, 'AF10001', 403],
    [404, 'AF20050', 403],
    [409, undefined, 403],
    [undefined, undefined, undefined],
  ];
  for (const [statusCode, apiCode, id] of cases) {
    it(`HTTP ${statusCode ?? '(none)'} ${apiCode ?? ''} → ${id ?? 'no ID'}`, () => {
      assert.equal(legacyApiErrorId({ statusCode, apiCode }), id);
    });
  }

  it('every ID has a one-line cause and fix', () => {
    for (const { cause, fix } of Object.values(LEGACY_API_ERRORS)) {
      assert.ok(cause.length > 10 && !cause.includes('\n'));
      assert.ok(fix.length > 10 && !fix.includes('\n'));
    }
  });

  it('prefixes messages the way runbooks search for them', () => {
    assert.equal(legacyPrefix(402), 'ApiError 402: ');
    assert.equal(legacyPrefix(undefined), '');
  });
});
