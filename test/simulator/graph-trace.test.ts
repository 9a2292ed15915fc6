import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphMessageTrace } from '../../tools/simulator/index.ts';
import { call, DAY, feedUrl, fetchToken, HOUR, withSim } from './helpers.ts';
import type { GraphErrorBody } from './trace-helpers.ts';
import { allGraphPages, bearer, body, graphUrl, isoZ, TRACE_RESOURCES } from './trace-helpers.ts';

const SECOND = 1000;
const key = (r: GraphMessageTrace): string => `${r.id}|${r.recipientAddress}`;

describe('Graph messageTraces: auth, window rules and paging', () => {
  it('issues tokens for three audiences and accepts only the Graph one', () =>
    withSim(TRACE_RESOURCES, async (sim) => {
      const management = await fetchToken(sim);
      const graph = await fetchToken(sim, sim.graphScope);
      const rws = await fetchToken(sim, sim.rwsScope);
      assert.deepEqual(
        sim.tokens.issued.map((t) => t.resource),
        [TRACE_RESOURCES.resource, TRACE_RESOURCES.graphResource, TRACE_RESOURCES.rwsResource],
      );
      const claims = JSON.parse(Buffer.from(graph.split('.')[1] ?? '', 'base64url').toString()) as {
        aud: string;
        roles: string[];
      };
      assert.deepEqual([claims.aud, claims.roles], [TRACE_RESOURCES.graphResource, ['ExchangeMessageTrace.Read.All']]);

      assert.equal((await call(graphUrl(sim), bearer(graph))).status, 200);
      for (const [token, message] of [
        [management, /Invalid audience/],
        [rws, /Invalid audience/],
        ['', /Access token is empty/],
      ] as const) {
        const res = await call(graphUrl(sim), token === '' ? {} : bearer(token));
        assert.equal(res.status, 401);
        assert.match(String(res.headers['www-authenticate']), /^Bearer /);
        const err = body<GraphErrorBody>(res).error;
        assert.equal(err.code, 'InvalidAuthenticationToken');
        assert.match(err.message, message);
      }
      assert.equal(
        (await call(feedUrl(sim, 'subscriptions/list'), bearer(graph))).status,
        401,
        'not a Management token',
      );
      assert.deepEqual(
        sim.log.requests('graph').map((e) => e.bearerValid),
        [true, false, false, false],
      );
    }));

  it('applies the 10-day, 90-day and end-not-after-now rules, $top bounds and skip tokens (400 BadRequest)', () =>
    withSim(TRACE_RESOURCES, async (sim, clock) => {
      const token = await fetchToken(sim, sim.graphScope);
      const now = clock.current;
      const status = async (from: number, to: number, params: Record<string, string> = {}) => {
        const res = await call(graphUrl(sim, { from, to }, params), bearer(token));
        if (res.status === 400) {
          const err = body<GraphErrorBody>(res).error;
          assert.equal(err.code, 'BadRequest');
          assert.ok(err.message.length > 0 && err.innerError['request-id'].length > 0);
        }
        return res.status;
      };
      assert.equal(await status(now - 10 * DAY, now), 200, 'exactly 10 days');
      assert.equal(await status(now - 10 * DAY - SECOND, now), 400, '10 days and a second');
      assert.equal(await status(now - 90 * DAY, now - 89 * DAY), 200, 'start exactly 90 days back');
      assert.equal(await status(now - 91 * DAY, now - 85 * DAY), 400, 'start 91 days back');
      assert.equal(await status(now - HOUR, now + SECOND), 400, 'end in the future');
      assert.equal(await status(now - HOUR, now - 2 * HOUR), 400, 'start after end');
      for (const top of ['0', '5001', 'ten', '-1', '1.5'])
        assert.equal(await status(now - HOUR, now, { $top: top }), 400, top);
      for (const top of ['1', '5000']) assert.equal(await status(now - HOUR, now, { $top: top }), 200, top);
      assert.equal(await status(now - HOUR, now, { $skiptoken: 'forged' }), 400);

      const half = await call(
        `${sim.messageTracesUrl}?$filter=${encodeURIComponent(`receivedDateTime ge ${isoZ(now - HOUR)}`)}`,
        bearer(token),
      );
      assert.equal(half.status, 400, 'one bound alone');
    }));

  it('filters both bounds inclusively, newest first, paging through the full @odata.nextLink', () =>
    withSim(TRACE_RESOURCES, async (sim, clock) => {
      const token = await fetchToken(sim, sim.graphScope);
      const to = clock.current - 6 * HOUR;
      const from = to - 24 * HOUR;
      const edges = sim.addMessages(
        [from - 1, from, to, to + 1].map((receivedAt) => ({
          receivedAt,
          recipients: [`edge-${receivedAt}@contoso.onmicrosoft.com`],
        })),
      );
      const expected = sim.expectedMessageTraceRows({ from, to }).map((r) => r.graph);
      assert.ok(expected.length > 21, `enough rows for several pages (${expected.length})`);

      const { rows, links } = await allGraphPages(graphUrl(sim, { from, to }, { $top: '7' }), token);
      assert.deepEqual(rows, expected);
      assert.equal(links.length, Math.ceil(expected.length / 7) - 1);
      for (const link of links) {
        assert.ok(link.startsWith(`${sim.messageTracesUrl}?`), link);
        const params = new URL(link).searchParams;
        assert.equal(params.get('$filter'), `receivedDateTime ge ${isoZ(from)} and receivedDateTime le ${isoZ(to)}`);
        assert.equal(params.get('$top'), '7');
        assert.ok((params.get('$skiptoken') ?? '').length > 0);
      }
      for (let i = 1; i < rows.length; i++) {
        assert.ok((rows[i - 1]?.receivedDateTime ?? '') >= (rows[i]?.receivedDateTime ?? ''), 'newest first');
      }
      const ids = new Set(rows.map((r) => r.id));
      assert.deepEqual(
        edges.map((e) => ids.has(e.id)),
        [false, true, true, false],
        'both bounds inclusive',
      );
      assert.equal(new Set(rows.map(key)).size, rows.length, '(id, recipient) is unique');

      const recent = await allGraphPages(graphUrl(sim), token);
      assert.deepEqual(
        recent.rows,
        sim.expectedMessageTraceRows({ from: clock.current - 48 * HOUR, to: clock.current }).map((r) => r.graph),
        'no filter: the last 48 hours',
      );
      assert.equal(recent.links.length, 0, 'fewer rows than the default page of 1000');
    }));

  it('serves /beta with $skipToken links, optionally PascalCase statuses', () =>
    withSim({ ...TRACE_RESOURCES, messageTrace: { graphBetaStatusCase: 'pascal' } }, async (sim) => {
      const token = await fetchToken(sim, sim.graphScope);
      const beta = sim.messageTracesUrl.replace('/v1.0/', '/beta/');
      const { rows, links } = await allGraphPages(graphUrl(sim, undefined, { $top: '50' }, beta), token);
      assert.ok(links.length > 0 && links.every((l) => l.startsWith(`${beta}?`) && l.includes('$skipToken=')));
      assert.ok(
        rows.every((r) => /^[A-Z]/.test(r.status)),
        'PascalCase',
      );
      const v1 = await allGraphPages(graphUrl(sim, undefined, { $top: '5000' }), token);
      assert.deepEqual(
        rows.map((r) => r.status.toLowerCase()),
        v1.rows.map((r) => r.status.toLowerCase()),
      );
    }));
});
