import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RwsMessageTrace } from '../../tools/simulator/index.ts';
import { call, fetchToken, HOUR, withSim } from './helpers.ts';
import type { RwsLightPage } from './trace-helpers.ts';
import { bearer, body, isoZ, rwsUrl, TRACE_RESOURCES } from './trace-helpers.ts';

interface ODataError {
  'odata.error'?: { code: string; message: { lang: string; value: string } };
  error?: { code: string; message: { lang: string; value: string } };
}

const RWS = { ...TRACE_RESOURCES, messageTrace: { rwsPageSize: 9 } };

describe('RWS MessageTrace', () => {
  it('pages the JSON light shape through relative next links spelling DateTime', () =>
    withSim(RWS, async (sim, clock) => {
      const token = await fetchToken(sim, sim.rwsScope);
      const window = { from: clock.current - 30 * HOUR, to: clock.current - 6 * HOUR };
      const expected = sim.expectedMessageTraceRows({ ...window, rwsShape: 'light' }).map((r) => r.rws);
      assert.ok(expected.length > 18, `several pages (${expected.length} rows)`);

      const rows: RwsMessageTrace[] = [];
      const links: string[] = [];
      let url: URL | undefined = new URL(rwsUrl(sim, window));
      while (url !== undefined) {
        // Next links carry no $format: the client asks for JSON through Accept, as the first request could have.
        const res = await call(url.href, bearer(token, { accept: 'application/json' }));
        assert.equal(res.status, 200, res.text);
        const page = body<RwsLightPage>(res);
        assert.equal(
          page['odata.metadata'],
          `${sim.origin}/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace`,
        );
        assert.ok(page.value.length <= 9);
        rows.push(...page.value);
        const next = page['odata.nextLink'];
        if (next !== undefined) links.push(next);
        url = next === undefined ? undefined : new URL(next, url);
      }
      assert.deepEqual(rows, expected);
      assert.equal(links.length, Math.ceil(expected.length / 9) - 1);
      links.forEach((link, i) => {
        assert.ok(link.startsWith('../../reportingwebservice/reporting.svc/MessageTrace?$filter='), link);
        assert.ok(link.endsWith(`&$skiptoken=${9 * (i + 1)}`), link);
        assert.ok(!link.includes('$format'));
        const filter = new URL(link, sim.rwsMessageTraceUrl).searchParams.get('$filter');
        assert.equal(
          filter,
          `StartDate eq DateTime'${isoZ(window.from).slice(0, -1)}.0000000Z' and EndDate eq DateTime'${isoZ(window.to).slice(0, -1)}.0000000Z'`,
        );
      });
      assert.ok(rows.every((r, i) => r.Index === i && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$/.test(r.Received)));
      assert.ok(rows.every((r) => r.Organization === 'contoso.onmicrosoft.com' && !('__metadata' in r)));

      const bare = new URL(links[0] ?? '', sim.rwsMessageTraceUrl);
      assert.equal((await call(bare.href, bearer(token))).status, 400, 'neither $format=json nor Accept: JSON');
    }));

  it('is the legacy view of the Graph rows', () =>
    withSim(RWS, async (sim, clock) => {
      const window = { from: clock.current - 3 * 24 * HOUR, to: clock.current };
      const rows = sim.expectedMessageTraceRows({ ...window, includeUnknownEnumMembers: true });
      assert.ok(rows.length > 300);
      for (const { graph, rws } of rows) {
        assert.equal(rws.MessageTraceId, graph.id);
        assert.equal(rws.MessageId, graph.messageId);
        assert.equal(`${rws.Received}Z`, graph.receivedDateTime);
        assert.deepEqual(
          [rws.SenderAddress, rws.RecipientAddress, rws.Subject, rws.Size],
          [graph.senderAddress, graph.recipientAddress, graph.subject, graph.size],
        );
        assert.equal(rws.Status, graph.status.charAt(0).toUpperCase() + graph.status.slice(1));
        assert.equal(rws.ToIP, graph.toIP === '' ? null : graph.toIP);
        assert.equal(rws.FromIP, graph.fromIP === '' ? null : graph.fromIP);
      }
      const statuses = new Set(rows.map((r) => r.rws.Status));
      for (const s of ['Delivered', 'Failed', 'Expanded', 'FilteredAsSpam']) assert.ok(statuses.has(s), s);
    }));

  it('serves the OData verbose shape in one response, with /Date(ms)/ and __metadata', () =>
    withSim({ ...RWS, messageTrace: { rwsPageSize: 9, rwsShape: 'verbose' } }, async (sim, clock) => {
      const token = await fetchToken(sim, sim.rwsScope);
      const window = { from: clock.current - 30 * HOUR, to: clock.current - 6 * HOUR };
      const res = await call(rwsUrl(sim, window), bearer(token));
      assert.equal(res.status, 200, res.text);
      assert.match(res.text, /"Received":"\\\/Date\(\d+\)\\\/"/, 'ASP.NET escapes the slashes');
      const results = body<{ d: { results: RwsMessageTrace[] } }>(res).d.results;
      assert.deepEqual(
        results,
        sim.expectedMessageTraceRows(window).map((r) => r.rws),
      );
      assert.ok(results.length > 9, 'no paging in the verbose shape');
      const first = results[0];
      assert.equal(first?.__metadata?.type, 'TenantReporting.MessageTrace');
      assert.equal(first.__metadata.uri, `${sim.origin}/ecp/ReportingWebService/Reporting.svc/MessageTrace(0)`);
      assert.match(first.Received, /^\/Date\(\d+\)\/$/);
      assert.equal(first.StartDate, `/Date(${window.from})/`);

      const top = await call(rwsUrl(sim, window, { $top: '3' }), bearer(token));
      const bare = body<{ d: RwsMessageTrace[] }>(top).d;
      assert.ok(Array.isArray(bare), 'with $top the rows sit directly in d');
      assert.deepEqual(bare, results.slice(0, 3));

      sim.messageTrace.rwsShape = 'light';
      const light = body<RwsLightPage>(await call(rwsUrl(sim, window), bearer(token)));
      assert.equal(light.value.length, 9);
    }));

  it('answers 401 (IIS page), 403 without an admin role, 404 for an unknown report and 400 for bad queries', () =>
    withSim(RWS, async (sim, clock) => {
      const token = await fetchToken(sim, sim.rwsScope);
      const graph = await fetchToken(sim, sim.graphScope);
      const window = { from: clock.current - HOUR, to: clock.current };
      for (const auth of [{}, bearer(graph)]) {
        const res = await call(rwsUrl(sim, window), auth);
        assert.equal(res.status, 401);
        assert.match(res.text, /401 - Unauthorized: Access is denied due to invalid credentials/);
      }
      sim.messageTrace.rwsForbidden = true;
      const forbidden = await call(rwsUrl(sim, window), bearer(token));
      assert.equal(forbidden.status, 403);
      assert.match(
        body<{ Message: string }>(forbidden).Message,
        /^No permission to access the report for the organization/,
      );
      sim.messageTrace.rwsForbidden = false;

      const unknown = await call(
        `${sim.origin}/ecp/reportingwebservice/reporting.svc/MailTrafficSummary?$format=json`,
        bearer(token),
      );
      assert.equal(unknown.status, 404);
      assert.match(body<ODataError>(unknown)['odata.error']?.message.value ?? '', /MailTrafficSummary/);

      const query = (filter: string) => {
        const url = new URL(sim.rwsMessageTraceUrl);
        url.searchParams.set('$filter', filter);
        url.searchParams.set('$format', 'json');
        return call(url.href, bearer(token));
      };
      const d = (ms: number) => `datetime'${isoZ(ms)}'`;
      for (const filter of [
        `StartDate eq '${isoZ(window.from)}' and EndDate eq ${d(window.to)}`,
        `EndDate eq ${d(window.to)}`,
        `StartDate eq ${d(window.from)} or EndDate eq ${d(window.to)}`,
        `StartDate eq ${d(window.to)} and EndDate eq ${d(window.from)}`,
      ]) {
        const res = await query(filter);
        assert.equal(res.status, 400, filter);
        assert.ok((body<ODataError>(res)['odata.error']?.message.value ?? '').length > 0);
      }
      const ok = await query(
        `StartDate eq DateTime'${isoZ(window.from)}' and EndDate eq ${d(window.to)} and Status eq 'Delivered'`,
      );
      assert.equal(ok.status, 200);
      assert.ok(body<RwsLightPage>(ok).value.every((r) => r.Status === 'Delivered'));
      const recent = body<RwsLightPage>(await call(`${sim.rwsMessageTraceUrl}?$format=json`, bearer(token)));
      assert.deepEqual(
        recent.value.map((r) => r.MessageTraceId),
        sim
          .expectedMessageTraceRows({ from: clock.current - 48 * HOUR, to: clock.current })
          .slice(0, 9)
          .map((r) => r.rws.MessageTraceId),
        'no filter: the last 48 hours',
      );
    }));

  it('takes faults on the rws route in OData error shapes', () =>
    withSim(RWS, async (sim, clock) => {
      const token = await fetchToken(sim, sim.rwsScope);
      const url = rwsUrl(sim, { from: clock.current - HOUR, to: clock.current });
      sim.faults.add({ match: { route: 'rws' }, kind: '500' });
      sim.faults.add({ match: { route: 'rws' }, kind: '429', retryAfterSeconds: 4 });
      sim.faults.add({ match: { route: 'rws' }, kind: 'malformed-json' });
      const failed = await call(url, bearer(token));
      assert.deepEqual([failed.status, body<ODataError>(failed)['odata.error']?.code], [500, 'UnknownError']);
      const throttled = await call(url, bearer(token));
      assert.deepEqual([throttled.status, throttled.headers['retry-after']], [429, '4']);
      const malformed = await call(url, bearer(token));
      assert.equal(malformed.status, 200);
      assert.throws(() => JSON.parse(malformed.text) as unknown, SyntaxError);
      assert.equal((await call(url, bearer(token))).status, 200);
      assert.deepEqual(
        sim.log.requests('rws').map((e) => e.fault ?? '-'),
        ['500', '429', 'malformed-json', '-'],
      );
    }));
});
