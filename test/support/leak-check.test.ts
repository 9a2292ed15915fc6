import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLeaks, pemFingerprints } from './leak-check.ts';

const TENANT = '4adf90d9-a9db-4a26-a83b-d2a8899c8a41';
const KEY_LINE = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';
const sensitive = {
  values: new Map([
    [TENANT, 'O365_TENANT_ID'],
    ...pemFingerprints(`-----BEGIN PRIVATE KEY-----\n${KEY_LINE}\n-----END PRIVATE KEY-----\n`).map(
      (part) => [part, 'DEVO_KEY material'] as [string, string],
    ),
  ]),
};

describe('log leak check', () => {
  it('finds each kind of sensitive text, and says which line holds it', () => {
    const leaks = findLeaks(
      [
        `warn retry 1 of https://manage.office.com/api/v1.0/${TENANT}/activity/feed in 1000 ms (503).`,
        `debug key ${KEY_LINE.slice(0, 45)}`,
        'error -----BEGIN CERTIFICATE-----',
        'debug authorization: Bearer abcdefgh.ijklmnop',
        'debug token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0',
        'info delivered a message to adele.vance@contoso.onmicrosoft.com',
      ],
      sensitive,
    );
    assert.equal(leaks.length, 6, leaks.join('\n'));
    assert.ok(leaks[0]?.startsWith('O365_TENANT_ID: warn retry'));
    assert.ok(leaks[1]?.startsWith('DEVO_KEY material:'));
  });

  it('passes the lines an operator reads, masked IDs included', () => {
    const lines = [
      'info auditGeneral statistics: events received: 10; events sent: 10; duplicates: 0',
      'warn retry 1 of https://manage.office.com/api/v1.0/4adf****-****-****-****-********8a41/activity/feed in 1000 ms (503).',
      'info messageTrace: starting collection over graph at 2026-11-20T00:00:00.000Z.',
    ];
    assert.deepEqual(findLeaks(lines, sensitive), []);
  });
});
