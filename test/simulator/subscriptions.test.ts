import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api, call, errorCode, feedUrl, fetchToken, withSim } from './helpers.ts';

describe('subscriptions', () => {
  it('lists the enabled subscriptions in the documented shape', () =>
    withSim({ enabledContentTypes: ['Audit.Exchange', 'DLP.All'] }, async (sim) => {
      const res = await api(feedUrl(sim, 'subscriptions/list'), await fetchToken(sim));
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.text), [
        { contentType: 'Audit.Exchange', status: 'enabled', webhook: null },
        { contentType: 'DLP.All', status: 'enabled', webhook: null },
      ]);
    }));

  it('starts a missing subscription, answers AF20024 when already enabled and refuses a second start within 15 min', () =>
    withSim({ enabledContentTypes: ['Audit.Exchange'] }, async (sim, clock) => {
      const token = await fetchToken(sim);
      const start = (ct: string) => api(feedUrl(sim, 'subscriptions/start', { contentType: ct }), token, 'POST');

      const first = await start('Audit.SharePoint');
      assert.equal(first.status, 200);
      assert.deepEqual(JSON.parse(first.text), { contentType: 'Audit.SharePoint', status: 'enabled', webhook: null });

      clock.advance(14 * 60_000);
      const tooSoon = await start('Audit.SharePoint');
      assert.equal(tooSoon.status, 429);
      assert.equal(errorCode(tooSoon), 'AF429');
      assert.equal(sim.subscriptions.cooldownViolations, 1);

      clock.advance(15 * 60_000);
      const again = await start('Audit.SharePoint');
      assert.equal(again.status, 400);
      assert.equal(errorCode(again), 'AF20024');

      const enabledAtStart = await start('Audit.Exchange');
      assert.equal(enabledAtStart.status, 400);
      assert.equal(errorCode(enabledAtStart), 'AF20024');
      assert.deepEqual(
        sim.subscriptions.startRequests.map((s) => s.outcome),
        ['started', 'too-soon', 'already-enabled', 'already-enabled'],
      );
      assert.equal(sim.subscriptions.cooldownViolations, 1);
    }));

  it('exempts stop from the cooldown but not the start that follows it', () =>
    withSim({ enabledContentTypes: [] }, async (sim, clock) => {
      const token = await fetchToken(sim);
      const url = (op: string) => feedUrl(sim, `subscriptions/${op}`, { contentType: 'DLP.All' });
      assert.equal((await api(url('start'), token, 'POST')).status, 200);
      clock.advance(60_000);
      const stop = await api(url('stop'), token, 'POST');
      assert.equal(stop.status, 200);
      assert.equal(sim.subscriptions.get('DLP.All')?.status, 'disabled');
      const listing = await api(feedUrl(sim, 'subscriptions/content', { contentType: 'DLP.All' }), token);
      assert.equal(errorCode(listing), 'AF20022');
      assert.equal((await api(url('start'), token, 'POST')).status, 429);
      clock.advance(15 * 60_000);
      assert.equal((await api(url('start'), token, 'POST')).status, 200);
    }));
});

describe('authorization, tenant and PublisherIdentifier', () => {
  it('answers 401 without a valid, unexpired token for this resource', () =>
    withSim({}, async (sim, clock) => {
      const url = feedUrl(sim, 'subscriptions/list');
      const none = await call(url);
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(JSON.parse(none.text), { Message: 'Authorization has been denied for this request.' });
      assert.equal((await api(url, 'forged.token.value')).status, 401);

      const token = await fetchToken(sim);
      assert.equal((await api(url, token)).status, 200);
      clock.advance(3599 * 1000);
      assert.equal((await api(url, token)).status, 401, 'expired after expires_in');
      const fresh = await fetchToken(sim);
      sim.tokens.revokeAll();
      assert.equal((await api(url, fresh)).status, 401, 'revoked');
      assert.equal(sim.log.unauthorized, 4);
    }));

  it('answers AF20010 when the URL tenant is not the token tenant', () =>
    withSim({}, async (sim) => {
      const other = '11111111-2222-4333-8444-555555555555';
      const res = await api(feedUrl(sim, 'subscriptions/list').replace(sim.tenantId, other), await fetchToken(sim));
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'AF20010');
    }));

  it('counts requests without or with a wrong PublisherIdentifier, and can refuse them', async () => {
    await withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      await api(feedUrl(sim, 'subscriptions/list'), token);
      await api(feedUrl(sim, 'subscriptions/list', {}, null), token);
      await api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.General' }, null), token);
      await api(feedUrl(sim, 'subscriptions/list', {}, '00000000-0000-0000-0000-000000000000'), token);
      await api(`${sim.feedRoot}/subscriptions/list?publisheridentifier=${sim.tenantId}`, token);
      assert.equal(sim.log.missingPublisherIdentifier, 2);
      assert.equal(sim.log.wrongPublisherIdentifier, 1);
      assert.equal(sim.log.counts().list, 4);
      assert.equal(sim.log.counts().token, 1);
      const entry = sim.log.requests('content')[0];
      assert.equal(entry?.hasBearer, true);
      assert.equal(entry?.bearerValid, true);
      assert.equal(entry?.query.contentType, 'Audit.General');
      assert.equal(entry?.status, 200);
    });
    await withSim({ requirePublisherIdentifier: true }, async (sim) => {
      const token = await fetchToken(sim);
      const refused = await api(feedUrl(sim, 'subscriptions/list', {}, null), token);
      assert.equal(refused.status, 400);
      assert.equal(errorCode(refused), 'AF20001');
      assert.equal((await api(feedUrl(sim, 'subscriptions/list'), token)).status, 200);
    });
  });
});
