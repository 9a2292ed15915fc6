import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultKind, O365Simulator, RouteName } from '../../tools/simulator/index.ts';
import type { CallResult } from './helpers.ts';
import { api, call, errorCode, feedUrl, fetchToken, withSim } from './helpers.ts';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** One request per route the body faults apply to; one token opens every API (all audiences are the origin). */
function requestOn(sim: O365Simulator, route: RouteName, token: string): Promise<CallResult> {
  switch (route) {
    case 'token':
      return call(sim.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: sim.clientId,
          client_secret: sim.clientSecret,
          scope: sim.scope,
        }).toString(),
      });
    case 'list':
      return api(feedUrl(sim, 'subscriptions/list'), token);
    case 'content':
      return api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.General' }), token);
    case 'blob': {
      const d = sim.contentDescriptors('Audit.General')[0];
      assert.ok(d !== undefined);
      return api(d.contentUri, token);
    }
    case 'graph':
      return api(sim.messageTracesUrl, token);
    case 'rws':
      return api(`${sim.rwsMessageTraceUrl}?$format=json`, token);
    default:
      throw new Error(`no request for ${route}`);
  }
}

const ROUTES_UNDER_TEST: RouteName[] = ['token', 'list', 'content', 'blob', 'graph', 'rws'];

/** What the client must see for each kind, whatever the route. */
const EXPECTATIONS: Partial<Record<FaultKind, (res: CallResult, what: string) => void>> = {
  'html-200': (res, what) => {
    assert.equal(res.status, 200, what);
    assert.match(String(res.headers['content-type']), /^text\/html/, what);
    assert.match(res.text, /^<!DOCTYPE html>/, what);
  },
  'non-json-200': (res, what) => {
    assert.equal(res.status, 200, what);
    assert.equal(res.error, undefined, what);
    assert.equal(res.text, 'OK', what);
    assert.equal(res.headers['content-length'], '2', what);
    assert.equal(parses(res.text), false, what);
  },
  'truncated-length': (res, what) => {
    assert.equal(res.status, 200, what);
    assert.ok(res.error !== undefined, what);
    assert.ok(res.bytes.length < Number(res.headers['content-length']), what);
  },
  'truncated-chunked': (res, what) => {
    assert.equal(res.status, 200, what);
    assert.equal(res.error, undefined, what);
    assert.equal(res.headers['transfer-encoding'], 'chunked', what);
    assert.equal(parses(res.text), false, what);
  },
};

describe('faults on every data route and the token endpoint', () => {
  for (const [kind, expect] of Object.entries(EXPECTATIONS)) {
    it(`${kind} answers in the same way on ${ROUTES_UNDER_TEST.join(', ')}`, () =>
      withSim({}, async (sim) => {
        const token = await fetchToken(sim);
        for (const route of ROUTES_UNDER_TEST) {
          const fault = sim.faults.add({ match: { route }, kind: kind as FaultKind });
          expect(await requestOn(sim, route, token), `${kind} on ${route}`);
          assert.equal(fault.fired, 1, `${kind} on ${route} fired`);
          const after = await requestOn(sim, route, token);
          assert.deepEqual([after.status, parses(after.text)], [200, true], `${route} after ${kind}`);
        }
      }));
  }

  it('html-200 and non-json-200 take a body of the test’s choosing', () =>
    withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      sim.faults.add({ match: { route: 'graph' }, kind: 'html-200', body: '<html>maintenance</html>' });
      sim.faults.add({ match: { route: 'rws' }, kind: 'non-json-200', body: 'Service is healthy' });
      assert.equal((await requestOn(sim, 'graph', token)).text, '<html>maintenance</html>');
      assert.equal((await requestOn(sim, 'rws', token)).text, 'Service is healthy');
    }));
});

describe('not-found', () => {
  it('answers 404 AF20050 for a listed blob, then serves it; elsewhere it does nothing', () =>
    withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      const d = sim.contentDescriptors('Audit.Exchange')[1];
      assert.ok(d !== undefined);
      const fault = sim.faults.add({ match: { route: 'blob', contentId: d.contentId }, kind: 'not-found', times: 2 });
      for (let i = 0; i < 2; i++) {
        const res = await api(d.contentUri, token);
        assert.deepEqual([res.status, errorCode(res)], [404, 'AF20050']);
        assert.match(
          res.text,
          new RegExp(`The specified content \\(${d.contentId.replaceAll('$', '\\$')}\\) doesn't exist`),
        );
      }
      const served = await api(d.contentUri, token);
      assert.equal(served.text, `[${sim.blobRecords(d.contentId).join(',')}]`);
      assert.equal(fault.fired, 2);

      sim.faults.add({ match: { route: 'list' }, kind: 'not-found' });
      assert.equal((await api(feedUrl(sim, 'subscriptions/list'), token)).status, 200);
    }));
});
