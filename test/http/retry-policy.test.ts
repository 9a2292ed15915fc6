import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRateLimiter,
  decideRetry,
  isTransientNetworkCode,
  isTransientStatus,
  retryDelay,
  type RetryDecisionInput,
} from '../../shared/http/index.ts';

const base: RetryDecisionInput = {
  attemptCount: 1,
  limit: 3,
  transient: true,
  retryAfterMs: undefined,
  maxDelayMs: 60_000,
  baseDelayMs: 1000,
  random: () => 0,
};

describe('retry policy', () => {
  it('backs off exponentially for transient failures', () => {
    assert.deepEqual(
      [1, 2, 3].map((attemptCount) => retryDelay({ ...base, attemptCount })),
      [1000, 2000, 4000],
    );
  });
  it('gives up after the limit, and at once for a permanent failure', () => {
    assert.deepEqual(decideRetry({ ...base, attemptCount: 4 }), { retry: false, why: 'limit' });
    assert.deepEqual(decideRetry({ ...base, transient: false }), { retry: false, why: 'permanent' });
  });
  it('honours Retry-After, capped by the longest allowed wait', () => {
    assert.equal(retryDelay({ ...base, retryAfterMs: 7000 }), 7000);
    assert.equal(retryDelay({ ...base, retryAfterMs: 600_000 }), 60_000);
  });
  it('starts no wait that would end past the time left', () => {
    assert.deepEqual(decideRetry({ ...base, retryAfterMs: 7000, timeLeftMs: 6999 }), {
      retry: false,
      why: 'deadline',
    });
    assert.deepEqual(decideRetry({ ...base, retryAfterMs: 7000, timeLeftMs: 7001 }), { retry: true, delayMs: 7000 });
  });
  it('calls retryable statuses transient, and other 4xx only when the API rule says so', () => {
    assert.ok([408, 429, 500, 502, 503, 504].every((s) => isTransientStatus(s, '')));
    assert.equal(isTransientStatus(400, ''), false);
    const throttleIn403 = (status: number, body: string) => status === 403 && body.includes('AF429');
    assert.equal(isTransientStatus(403, '{"error":{"code":"AF10001"}}', throttleIn403), false);
    assert.equal(isTransientStatus(403, '{"error":{"code":"AF429"}}', throttleIn403), true);
  });
  it('calls resets, time-outs and cut bodies transient, certificate failures not', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNREFUSED', 'EAI_AGAIN'])
      assert.equal(isTransientNetworkCode(code), true, code);
    for (const code of ['ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'])
      assert.equal(isTransientNetworkCode(code), false, code);
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
