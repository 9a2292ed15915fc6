import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRAPH_THROTTLE_MESSAGE, MESSAGE_TRACE_APP_ID } from '../../tools/simulator/index.ts';
import { call, fetchToken, withSim } from './helpers.ts';
import type { GraphErrorBody, GraphPage } from './trace-helpers.ts';
import { bearer, body, graphUrl, TRACE_RESOURCES } from './trace-helpers.ts';

describe('Graph messageTraces: quota, setup errors and faults', () => {
  it('throttles after the configured quota with 429, Retry-After and the measured message', () =>
    withSim(
      { ...TRACE_RESOURCES, messageTrace: { graphThrottle: { limit: 3, windowMs: 60_000 } } },
      async (sim, clock) => {
        const token = await fetchToken(sim, sim.graphScope);
        const get = () => call(graphUrl(sim, undefined, { $top: '1' }), bearer(token));
        for (let i = 0; i < 3; i++) {
          assert.equal((await get()).status, 200);
          clock.advance(10_000);
        }
        const refused = await get();
        assert.equal(refused.status, 429);
        assert.equal(refused.headers['retry-after'], '30');
        assert.deepEqual(
          [body<GraphErrorBody>(refused).error.code, body<GraphErrorBody>(refused).error.message],
          ['TooManyRequests', GRAPH_THROTTLE_MESSAGE],
        );
        assert.equal(sim.messageTrace.throttled, 1);
        clock.advance(30_000);
        assert.equal((await get()).status, 200, 'the oldest request left the window');
        assert.equal((await get()).status, 429);
        sim.messageTrace.resetThrottle();
        assert.equal((await get()).status, 200);
      },
    ));

  it('allows 100 requests per 5 minutes by default', () =>
    withSim(TRACE_RESOURCES, async (sim, clock) => {
      const token = await fetchToken(sim, sim.graphScope);
      const url = graphUrl(sim, undefined, { $top: '1' });
      for (let i = 0; i < 100; i++) assert.equal((await call(url, bearer(token))).status, 200);
      const refused = await call(url, bearer(token));
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '300');
      clock.advance(5 * 60_000);
      assert.equal((await call(url, bearer(token))).status, 200);
    }));

  it('answers 401 while the message trace service principal is missing', () =>
    withSim({ ...TRACE_RESOURCES, messageTrace: { servicePrincipalMissing: true } }, async (sim) => {
      const token = await fetchToken(sim, sim.graphScope);
      const res = await call(graphUrl(sim), bearer(token));
      assert.equal(res.status, 401);
      assert.match(
        body<GraphErrorBody>(res).error.message,
        new RegExp(`service principal for App ID ${MESSAGE_TRACE_APP_ID} was not found`),
      );
      sim.messageTrace.servicePrincipalMissing = false;
      assert.equal((await call(graphUrl(sim), bearer(token))).status, 200);
    }));

  it('takes faults on the graph route in Graph error shapes', () =>
    withSim(TRACE_RESOURCES, async (sim) => {
      const token = await fetchToken(sim, sim.graphScope);
      const url = graphUrl(sim, undefined, { $top: '2' });
      sim.faults.add({ match: { route: 'graph' }, kind: '429', retryAfterSeconds: 7 });
      sim.faults.add({ match: { route: 'graph' }, kind: '500' });
      sim.faults.add({ match: { route: 'graph' }, kind: 'foreign-next-page' });
      sim.faults.add({ match: { route: 'graph' }, kind: 'reset' });
      const throttled = await call(url, bearer(token));
      assert.deepEqual([throttled.status, throttled.headers['retry-after']], [429, '7']);
      assert.equal(body<GraphErrorBody>(throttled).error.message, GRAPH_THROTTLE_MESSAGE);
      const failed = await call(url, bearer(token));
      assert.deepEqual([failed.status, body<GraphErrorBody>(failed).error.code], [500, 'UnknownError']);
      const foreign = body<GraphPage>(await call(url, bearer(token)));
      assert.match(
        foreign['@odata.nextLink'] ?? '',
        /^https:\/\/foreign\.example\.invalid\/v1\.0\/admin\/exchange\/tracing\/messageTraces\?/,
      );
      const reset = await call(url, bearer(token)).catch((err: unknown) => err as Error);
      assert.ok(reset instanceof Error || reset.error !== undefined, 'connection reset mid-body');
      assert.equal((await call(url, bearer(token))).status, 200);
      assert.equal(sim.faults.firedCount(), 4);
      assert.equal(sim.messageTrace.throttled, 0, 'injected 429s are not quota refusals');
    }));
});
