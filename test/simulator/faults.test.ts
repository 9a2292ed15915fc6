import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { O365Simulator } from '../../tools/simulator/index.ts';
import { api, call, errorCode, feedUrl, fetchToken, startSimulator } from './helpers.ts';

describe('fault injection', () => {
  let sim: O365Simulator;
  let token: string;
  const listing = (contentType = 'Audit.Exchange') =>
    api(feedUrl(sim, 'subscriptions/content', { contentType }), token);
  const blobUri = (index = 0, contentType: 'Audit.Exchange' | 'Audit.General' = 'Audit.Exchange') => {
    const d = sim.contentDescriptors(contentType)[index];
    assert.ok(d !== undefined);
    return d;
  };

  // A simulator of its own for every test: fault counts, the request log and the firing history start at zero, so
  // each test passes alone and in any order.
  beforeEach(async () => {
    sim = await startSimulator({ pageSize: 1 });
    token = await fetchToken(sim);
  });
  afterEach(() => sim.close());

  it('throttles with 429 and Retry-After exactly the configured number of times, only where it matches', async () => {
    const fault = sim.faults.add({
      match: { route: 'content', contentType: 'Audit.Exchange' },
      kind: '429',
      times: 2,
      retryAfterSeconds: 3,
    });
    assert.equal((await listing('Audit.General')).status, 200, 'another content type is not affected');
    for (let i = 0; i < 2; i++) {
      const res = await listing();
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '3');
      assert.equal(errorCode(res), 'AF429');
    }
    assert.equal((await listing()).status, 200);
    assert.equal(fault.fired, 2);
    assert.equal(fault.remaining, 0);
    assert.equal(sim.log.requests('content').filter((e) => e.fault === '429').length, 2);
  });

  it('sends AF429 inside HTTP 403, AF50000 as 500, an HTML 503 and custom errors', async () => {
    const d = blobUri();
    sim.faults.add({ match: { route: 'blob', contentId: d.contentId }, kind: 'af429-403' });
    sim.faults.add({ match: { route: 'blob' }, kind: '500' });
    sim.faults.add({ match: { route: 'blob' }, kind: '503' });
    sim.faults.add({
      match: { route: 'blob' },
      kind: 'error',
      status: 500,
      code: 'AF50005',
      message: 'Internal error.',
    });
    const throttled = await api(d.contentUri, token);
    assert.deepEqual([throttled.status, errorCode(throttled)], [403, 'AF429']);
    const internal = await api(d.contentUri, token);
    assert.deepEqual([internal.status, errorCode(internal)], [500, 'AF50000']);
    const unavailable = await api(d.contentUri, token);
    assert.equal(unavailable.status, 503);
    assert.match(String(unavailable.headers['content-type']), /text\/html/);
    const custom = await api(d.contentUri, token);
    assert.deepEqual([custom.status, errorCode(custom)], [500, 'AF50005']);
    assert.equal((await api(d.contentUri, token)).status, 200);
  });

  it('answers the token endpoint with Entra-style transient errors', async () => {
    sim.faults.add({ match: { route: 'token' }, kind: '429', retryAfterSeconds: 2 });
    sim.faults.add({ match: { route: 'token' }, kind: '500' });
    await assert.rejects(fetchToken(sim), /429.*temporarily_unavailable/s);
    await assert.rejects(fetchToken(sim), /500.*server_error/s);
    assert.ok((await fetchToken(sim)).length > 0);
  });

  it('delays before the headers and in the middle of the body', async () => {
    const d = blobUri(1);
    sim.faults.add({ match: { route: 'blob' }, kind: 'delay-headers', delayMs: 300 });
    const slowStart = await api(d.contentUri, token);
    assert.equal(slowStart.status, 200);
    assert.ok(slowStart.headersMs >= 280, `headers after ${slowStart.headersMs} ms`);

    // The gap is the difference of two client-side times, so a busy client loop can shorten it: the pause is long
    // and the bound leaves half of it as margin. (A lower bound on one time, as above, cannot come out short.)
    sim.faults.add({ match: { route: 'blob' }, kind: 'delay-body', delayMs: 1_000 });
    const slowBody = await api(d.contentUri, token);
    assert.ok(slowBody.totalMs >= 950, `the body ended after ${slowBody.totalMs} ms`);
    assert.ok(
      slowBody.totalMs - slowBody.headersMs >= 500,
      `the pause falls between headers and end: body took ${slowBody.totalMs - slowBody.headersMs} ms`,
    );
    assert.equal(slowBody.text, `[${sim.blobRecords(d.contentId).join(',')}]`, 'the body arrives whole');
  });

  it('resets the connection mid-response', async () => {
    const d = blobUri(2);
    sim.faults.add({ match: { route: 'blob' }, kind: 'reset' });
    const res = await api(d.contentUri, token).catch((err: Error) => ({ error: err, text: '' }));
    assert.ok(res.error !== undefined, 'the client sees the connection fail');
    assert.throws(() => JSON.parse(res.text));
    assert.equal((await api(d.contentUri, token)).status, 200, 'the next request is served');
  });

  it('sends a complete 200 response with malformed JSON', async () => {
    sim.faults.add({ match: { route: 'list' }, kind: 'malformed-json' });
    const res = await api(feedUrl(sim, 'subscriptions/list'), token);
    assert.equal(res.status, 200);
    assert.equal(res.error, undefined);
    assert.throws(() => JSON.parse(res.text));
    assert.ok(Array.isArray(JSON.parse((await api(feedUrl(sim, 'subscriptions/list'), token)).text)));
  });

  it('makes a listed blob answer AF20051 as if expired', async () => {
    const d = blobUri(0, 'Audit.General');
    sim.faults.add({ match: { route: 'blob', contentType: 'Audit.General' }, kind: 'expired' });
    const res = await api(d.contentUri, token);
    assert.deepEqual([res.status, errorCode(res)], [400, 'AF20051']);
    assert.equal((await api(d.contentUri, token)).status, 200);
  });

  it('points NextPageUri at a foreign host', async () => {
    sim.faults.add({ match: { route: 'content' }, kind: 'foreign-next-page' });
    sim.faults.add({
      match: { route: 'content' },
      kind: 'foreign-next-page',
      foreignOrigin: 'https://manage.office.com.attacker.example',
    });
    const first = new URL(String((await listing()).headers.nextpageuri));
    assert.equal(first.origin, 'https://foreign.example.invalid');
    assert.ok(first.pathname.endsWith('/activity/feed/subscriptions/content') && first.searchParams.has('nextpage'));
    const second = new URL(String((await listing()).headers.nextpageuri));
    assert.equal(second.host, 'manage.office.com.attacker.example');
    assert.equal(new URL(String((await listing()).headers.nextpageuri)).origin, sim.origin);
  });

  it('fires probabilistic faults reproducibly from the seed, and can wait for the nth request', async () => {
    const pattern = async (faultSeed: number) => {
      const s = await startSimulator({
        faultSeed,
        faults: [{ match: { route: 'list' }, kind: '500', probability: 0.5 }],
      });
      try {
        const t = await fetchToken(s);
        const statuses = [];
        for (let i = 0; i < 16; i++) statuses.push((await api(feedUrl(s, 'subscriptions/list'), t)).status);
        return statuses.join(',');
      } finally {
        await s.close();
      }
    };
    const [a, b] = [await pattern(42), await pattern(42)];
    assert.equal(a, b);
    assert.ok(a.includes('500') && a.includes('200'), a);

    const later = sim.faults.add({ match: { route: 'stop' }, kind: '500', after: 1 });
    const stop = () => api(feedUrl(sim, 'subscriptions/stop', { contentType: 'DLP.All' }), token, 'POST');
    assert.equal((await stop()).status, 200);
    assert.equal((await stop()).status, 500);
    assert.equal((await stop()).status, 200);
    assert.deepEqual([later.seen, later.fired], [3, 1]);
  });

  it('refuses fault specs with unknown kinds or routes', () => {
    assert.throws(() => sim.faults.add({ kind: 'explode' as never }), /unknown fault kind/);
    assert.throws(() => sim.faults.add({ kind: '500', match: { route: 'graphql' as never } }), /unknown route/);
    assert.throws(() => sim.faults.add({ kind: '500', probability: 2 }), /probability/);
  });

  it('keeps a firing history and clears faults', async () => {
    assert.equal(sim.faults.firedCount(), 0, 'a new simulator has fired nothing');
    sim.faults.add({ match: { route: 'content' }, kind: '429', times: 2 });
    sim.faults.add({ match: { route: 'list' }, kind: '500' });
    const list = () => api(feedUrl(sim, 'subscriptions/list'), token);
    assert.deepEqual(
      [(await listing()).status, (await listing()).status, (await listing()).status, (await list()).status],
      [429, 429, 200, 500],
    );
    assert.equal(sim.faults.firedCount(), 3);
    assert.equal(sim.faults.firedCount('429'), 2);
    assert.equal(sim.faults.firedCount('500'), 1);
    assert.deepEqual(
      sim.faults.firings.map((f) => f.kind),
      ['429', '429', '500'],
    );
    sim.faults.add({ kind: '500' });
    sim.faults.clear();
    assert.equal(sim.faults.list().length, 0);
    assert.equal((await list()).status, 200, 'a cleared fault no longer fires');
    assert.equal(sim.faults.firedCount(), 3, 'the history survives clear()');
  });
});

describe('fault-free plumbing', () => {
  it('answers unknown paths with 404 and logs them', async () => {
    const sim = await startSimulator();
    try {
      const res = await call(`${sim.origin}/nothing/here`);
      assert.equal(res.status, 404);
      assert.equal(sim.log.counts().unknown, 1);
    } finally {
      await sim.close();
    }
  });
});
