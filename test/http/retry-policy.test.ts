import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter, retryDelay, type RetryDecisionInput } from '../../shared/http/index.ts';

const base: RetryDecisionInput = {
  attemptCount: 1,
  limit: 3,
  errorCode: 'ERR_NON_2XX_3XX_RESPONSE',
  statusCode: 503,
  body: '',
  retryAfterMs: undefined,
  maxDelayMs: 60_000,
  baseDelayMs: 1000,
  random: () => 0,
};

describe('retryDelay', () => {
  it('backs off exponentially for retryable statuses', () => {
    assert.deepEqual(
      [1, 2, 3].map((attemptCount) => retryDelay({ ...base, attemptCount })),
      [1000, 2000, 4000],
    );
  });
  it('gives up after the limit', () => {
    assert.equal(retryDelay({ ...base, attemptCount: 4 }), 0);
  });
  it('honours Retry-After, capped by the longest allowed wait', () => {
    assert.equal(retryDelay({ ...base, statusCode: 429, retryAfterMs: 7000 }), 7000);
    assert.equal(retryDelay({ ...base, statusCode: 429, retryAfterMs: 600_000 }), 60_000);
  });
  it('does not retry client errors unless the API rule says so', () => {
    assert.equal(retryDelay({ ...base, statusCode: 400 }), 0);
    const throttleIn403 = (status: number, body: string) => status === 403 && body.includes('AF429');
    assert.equal(
      retryDelay({
        ...base,
        statusCode: 403,
        body: '{"error":{"code":"AF10001"}}',
        isRetryableResponse: throttleIn403,
      }),
      0,
    );
    assert.equal(
      retryDelay({ ...base, statusCode: 403, body: '{"error":{"code":"AF429"}}', isRetryableResponse: throttleIn403 }),
      1000,
    );
  });
  it('retries resets and time-outs, not unknown failures', () => {
    assert.equal(retryDelay({ ...base, statusCode: undefined, errorCode: 'ECONNRESET' }), 1000);
    assert.equal(retryDelay({ ...base, statusCode: undefined, errorCode: 'ETIMEDOUT' }), 1000);
    assert.equal(retryDelay({ ...base, statusCode: undefined, errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 0);
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then spaces requests by 1/rate', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = createRateLimiter({
      perSecond: 4,
      burst: 2,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    const started: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await limiter.acquire();
      started.push(clock);
    }
    assert.deepEqual(started, [0, 0, 250, 500, 750]);
    assert.deepEqual(waits, [250, 250, 250]);
  });
});
