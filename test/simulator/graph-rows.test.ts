import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphMessageTrace } from '../../tools/simulator/index.ts';
import { call, DAY, fetchToken, HOUR, withSim } from './helpers.ts';
import type { GraphPage } from './trace-helpers.ts';
import { allGraphPages, bearer, body, graphFilter, graphUrl, TRACE_RESOURCES } from './trace-helpers.ts';

const key = (r: GraphMessageTrace): string => `${r.id}|${r.recipientAddress}`;

describe('Graph messageTraces: rows', () => {
  it('serves one row per recipient, statuses per recipient, recalled only on request, and non-ASCII text', () =>
    withSim(TRACE_RESOURCES, async (sim, clock) => {
      const token = await fetchToken(sim, sim.graphScope);
      const from = clock.current - 3 * DAY;
      const window = { from, to: clock.current };
      const all = sim.expectedMessageTraceRows(window).map((r) => r.graph);
      const byId = new Map<string, GraphMessageTrace[]>();
      for (const r of all) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
      const mixed = [...byId.values()].find((rows) => new Set(rows.map((r) => r.status)).size > 1);
      assert.ok(mixed !== undefined && mixed.length > 1, 'a message with recipients in different statuses');
      const id = mixed[0]?.id ?? '';

      const res = await call(
        graphUrl(sim, window, { $filter: `${graphFilter(window)} and id eq '${id}'` }),
        bearer(token),
      );
      const rows = body<GraphPage>(res).value;
      assert.deepEqual(rows, mixed);
      assert.equal(new Set(rows.map((r) => r.messageId)).size, 1, 'one messageId for all recipients');

      const recalled = rows[0];
      assert.ok(recalled !== undefined);
      sim.setMessageTraceStatus(id, recalled.recipientAddress, 'recalled');
      const filter = `${graphFilter(window)} and id eq '${id}' and recipientAddress eq '${recalled.recipientAddress}'`;
      const plain = await call(graphUrl(sim, window, { $filter: filter }), bearer(token));
      assert.equal(body<GraphPage>(plain).value[0]?.status, 'unknownFutureValue');
      const preferred = await call(
        graphUrl(sim, window, { $filter: filter }),
        bearer(token, { prefer: 'include-unknown-enum-members' }),
      );
      assert.equal(body<GraphPage>(preferred).value[0]?.status, 'recalled');
      assert.equal(preferred.headers['preference-applied'], 'include-unknown-enum-members');

      const served = (await allGraphPages(graphUrl(sim, window), token)).rows;
      assert.ok(
        served.some((r) => /[^ -~]/.test(r.subject)),
        'non-ASCII subjects',
      );
      assert.ok(
        served.some((r) => /[^ -~]/.test(r.senderAddress + r.recipientAddress)),
        'non-ASCII addresses',
      );
      assert.ok(served.every((r) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/.test(r.receivedDateTime)));
      const statuses = new Set(served.map((r) => r.status));
      for (const s of statuses) {
        assert.ok(
          [
            'gettingStatus',
            'pending',
            'failed',
            'delivered',
            'expanded',
            'quarantined',
            'filteredAsSpam',
            'unknownFutureValue',
          ].includes(s),
          s,
        );
      }
      assert.ok(statuses.size >= 5, [...statuses].join(', '));
    }));

  it('only returns rows already visible at query time; late rows show up later', () =>
    withSim(
      { ...TRACE_RESOURCES, messageTrace: { lag: { share: 0.4, minMs: HOUR, maxMs: 24 * HOUR } } },
      async (sim, clock) => {
        const token = await fetchToken(sim, sim.graphScope);
        const t0 = clock.current;
        const window = { from: t0 - 10 * HOUR, to: t0 };
        const [late] = sim.addMessages([{ receivedAt: t0 - 2 * HOUR, visibleAt: t0 + 30 * 60_000 }]);
        assert.ok(late !== undefined);

        const now = (await allGraphPages(graphUrl(sim, window), token)).rows;
        assert.deepEqual(
          now,
          sim.expectedMessageTraceRows(window).map((r) => r.graph),
        );
        assert.ok(!now.some((r) => r.id === late.id));
        const eventually = sim.expectedMessageTraceRows({ ...window, visibleAt: t0 + 24 * HOUR });
        assert.ok(
          eventually.length > now.length + 1,
          `late rows exist (${now.length} of ${eventually.length} visible)`,
        );

        clock.advance(30 * 60_000);
        const later = (await allGraphPages(graphUrl(sim, window), token)).rows;
        assert.ok(
          later.some((r) => r.id === late.id),
          'the added late message is visible from its visibleAt',
        );

        clock.advance(24 * HOUR);
        const renewed = await fetchToken(sim, sim.graphScope);
        const all = (await allGraphPages(graphUrl(sim, window), renewed)).rows;
        assert.deepEqual(
          all,
          eventually.map((r) => r.graph),
        );
        const seen = new Set(now.map(key));
        const arrived = eventually.filter((r) => !seen.has(key(r.graph)));
        assert.ok(arrived.every((r) => r.visibleAt > t0 && r.visibleAt <= t0 + 24 * HOUR));
      },
    ));

  it('shows a status change on the same (id, recipient) row, explicit or seeded', () =>
    withSim({ ...TRACE_RESOURCES, messageTrace: { pendingShare: 0.5 } }, async (sim, clock) => {
      const token = await fetchToken(sim, sim.graphScope);
      const t0 = clock.current;
      const [message] = sim.addMessages([
        {
          receivedAt: t0 - HOUR,
          recipients: [
            { address: 'zoe.mueller@contoso.onmicrosoft.com', status: 'pending' },
            { address: 'støtte@nordwind.no', status: 'delivered', toIP: '203.0.113.9' },
          ],
        },
      ]);
      assert.ok(message !== undefined);
      sim.setMessageTraceStatus(message.id, 'zoe.mueller@contoso.onmicrosoft.com', 'delivered', {
        at: t0 + 10 * 60_000,
      });
      const window = { from: t0 - 2 * HOUR, to: t0 };
      const statuses = async () => {
        const res = await call(
          graphUrl(sim, window, { $filter: `${graphFilter(window)} and id eq '${message.id}'` }),
          bearer(token),
        );
        return body<GraphPage>(res).value.map((r) => `${r.recipientAddress}=${r.status}`);
      };
      assert.deepEqual(await statuses(), [
        'støtte@nordwind.no=delivered',
        'zoe.mueller@contoso.onmicrosoft.com=pending',
      ]);
      clock.advance(10 * 60_000);
      assert.deepEqual(await statuses(), [
        'støtte@nordwind.no=delivered',
        'zoe.mueller@contoso.onmicrosoft.com=delivered',
      ]);
      assert.throws(
        () => sim.setMessageTraceStatus(message.id, 'nobody@contoso.onmicrosoft.com', 'failed'),
        RangeError,
      );

      // A query made as the window ended saw seeded rows still pending that have settled since.
      const older = { from: t0 - 2 * DAY, to: t0 - DAY };
      const before = sim.expectedMessageTraceRows({ ...older, visibleAt: older.to });
      const after = sim.expectedMessageTraceRows(older);
      assert.deepEqual(
        before.map((r) => key(r.graph)),
        after.map((r) => key(r.graph)),
        'same rows',
      );
      const changed = before.filter((r, i) => r.graph.status !== after[i]?.graph.status);
      assert.ok(changed.length > 0, 'seeded rows settle later');
      assert.ok(changed.every((r) => r.graph.status === 'pending' || r.graph.status === 'gettingStatus'));
    }));

  it('serves each query as of its first page (snapshot paging); live paging shifts when rows arrive', async () => {
    for (const graphPaging of ['snapshot', 'live'] as const) {
      await withSim({ ...TRACE_RESOURCES, messageTrace: { graphPaging } }, async (sim, clock) => {
        const token = await fetchToken(sim, sim.graphScope);
        const window = { from: clock.current - 20 * HOUR, to: clock.current };
        const expected = sim.expectedMessageTraceRows(window).map((r) => r.graph);
        const first = body<GraphPage>(await call(graphUrl(sim, window, { $top: '10' }), bearer(token)));
        sim.addMessages([
          { receivedAt: clock.current - 1000, recipients: ['a@contoso.onmicrosoft.com', 'b@contoso.onmicrosoft.com'] },
        ]);
        const rest = await allGraphPages(first['@odata.nextLink'] ?? '', token);
        const rows = [...first.value, ...rest.rows];
        if (graphPaging === 'snapshot') assert.deepEqual(rows, expected);
        else assert.equal(rows.length - new Set(rows.map(key)).size, 2, 'two rows seen twice');
      });
    }
  });
});
