import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultKind, PoisonVariant } from '../../tools/simulator/index.ts';
import { chaosFaults, chaosProbabilities, POISON_VARIANTS } from '../../tools/simulator/index.ts';
import { FaultRegistry } from '../../tools/simulator/faults.ts';
import { createRandom } from '../../tools/simulator/random.ts';
import { api, errorCode, feedUrl, fetchToken, withSim } from './helpers.ts';

const DESCRIPTOR_FIELDS = ['contentType', 'contentId', 'contentUri', 'contentCreated', 'contentExpiration'];

describe('poison-descriptor', () => {
  const missing: Record<PoisonVariant, string | undefined> = {
    'missing-contentId': 'contentId',
    'missing-contentUri': 'contentUri',
    'missing-contentCreated': 'contentCreated',
    'foreign-contentUri': undefined,
  };
  for (const variant of POISON_VARIANTS) {
    it(`adds one broken descriptor (${variant}) to a listing page without changing the expected records`, () =>
      withSim({ pageSize: 3 }, async (sim) => {
        const token = await fetchToken(sim);
        const expected = sim.expectedUniqueRecords('Audit.Exchange');
        const stored = new Set(sim.contentDescriptors('Audit.Exchange').map((d) => d.contentId));
        const foreignOrigin = 'https://manage.office.com.attacker.example';
        const fault = sim.faults.add({
          match: { route: 'content' },
          kind: 'poison-descriptor',
          variant,
          foreignOrigin,
        });
        const res = await api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.Exchange' }), token);
        assert.equal(res.status, 200);
        const page = JSON.parse(res.text) as Array<Record<string, string>>;
        assert.equal(page.length, 4, 'three real descriptors and the poisoned one');
        const poisoned = page.at(-1);
        assert.ok(poisoned !== undefined);
        assert.ok(page.slice(0, 3).every((d) => stored.has(d.contentId ?? '')));
        assert.equal(stored.has(poisoned.contentId ?? ''), false, 'it names no stored blob');

        const gone = missing[variant];
        assert.deepEqual(
          Object.keys(poisoned),
          DESCRIPTOR_FIELDS.filter((f) => f !== gone),
        );
        if (variant === 'foreign-contentUri') assert.equal(new URL(poisoned.contentUri ?? '').origin, foreignOrigin);
        else if (poisoned.contentUri !== undefined) {
          assert.equal(new URL(poisoned.contentUri).origin, sim.origin);
          const blob = await api(poisoned.contentUri, token);
          assert.deepEqual([blob.status, errorCode(blob)], [404, 'AF20050']);
        }

        const injected = sim.faults.injectedDescriptors;
        assert.equal(injected.length, 1);
        assert.deepEqual(injected[0]?.descriptor, poisoned);
        assert.equal(injected[0]?.variant, variant);
        assert.equal(injected[0]?.faultId, fault.id);
        assert.deepEqual(sim.faults.firings.at(-1)?.injected, poisoned);
        assert.deepEqual(sim.expectedUniqueRecords('Audit.Exchange'), expected);
        const next = await api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.Exchange' }), token);
        assert.equal((JSON.parse(next.text) as unknown[]).length, 3, 'it fired once');
      }));
  }

  it('injects nothing into an error reply, and refuses unknown variants', () =>
    withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      sim.faults.add({ match: { route: 'content' }, kind: 'poison-descriptor' });
      const res = await api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.Nothing' }), token);
      assert.equal(res.status, 400);
      assert.equal(sim.faults.firedCount('poison-descriptor'), 1);
      assert.deepEqual(sim.faults.injectedDescriptors, []);
      assert.throws(
        () => sim.faults.add({ kind: 'poison-descriptor', variant: 'missing-everything' as never }),
        /unknown poison-descriptor variant/,
      );
    }));
});

describe('chaosFaults', () => {
  it('chains conditional probabilities so that the combined share is exactly the rate', () => {
    for (const rate of [0, 0.05, 0.2, 0.5, 1]) {
      const p = chaosProbabilities(rate, 11);
      const none = p.reduce((left, pi) => left * (1 - pi), 1);
      assert.ok(Math.abs(none - (1 - rate)) < 1e-12, `rate ${rate}: ${1 - none}`);
    }
    assert.throws(() => chaosFaults({ rate: 1.2 }), /rate/);
  });

  it('disturbs about `rate` of the attempts, evenly over the mix, reproducibly from the seed', () => {
    const draw = (seed: number): FaultKind[] => {
      const registry = new FaultRegistry(createRandom(seed, 0xfa17));
      for (const spec of chaosFaults({ rate: 0.2 })) registry.add(spec);
      const kinds: FaultKind[] = [];
      for (let seq = 1; seq <= 20_000; seq++) {
        const route = (['blob', 'content', 'graph', 'rws', 'list'] as const)[seq % 5] ?? 'blob';
        const taken = registry.take({ route, method: 'GET', path: '/', seq });
        if (taken !== undefined) kinds.push(taken.spec.kind);
      }
      assert.equal(registry.take({ route: 'token', method: 'POST', path: '/', seq: 0 }), undefined, 'token is spared');
      return kinds;
    };
    const kinds = draw(7);
    const share = kinds.length / 20_000;
    assert.ok(Math.abs(share - 0.2) < 0.01, `observed share ${share}`);
    const mix = chaosFaults({ rate: 0.2 });
    const perKind = kinds.length / mix.length;
    for (const spec of mix) {
      const n = kinds.filter((k) => k === spec.kind).length;
      assert.ok(n > perKind * 0.7 && n < perKind * 1.3, `${spec.kind}: ${n} of ~${perKind.toFixed(0)}`);
    }
    assert.deepEqual(draw(7), kinds, 'same seed, same faults');
  });

  it('makes about `rate` of real requests fail as the client sees them', () =>
    withSim({ faultSeed: 3, faults: chaosFaults({ rate: 0.25, stallMs: 20, routes: ['list'] }) }, async (sim) => {
      const token = await fetchToken(sim);
      const total = 200;
      let failed = 0;
      for (let i = 0; i < total; i++) {
        const res = await api(feedUrl(sim, 'subscriptions/list'), token);
        let ok = res.status === 200 && res.error === undefined;
        try {
          JSON.parse(res.text);
        } catch {
          ok = false;
        }
        if (!ok) failed += 1;
      }
      assert.equal(failed, sim.faults.firedCount(), 'every firing is a failure the client notices, and only those');
      assert.ok(Math.abs(failed / total - 0.25) < 0.1, `failed ${failed} of ${total}`);
      assert.ok(new Set(sim.faults.firings.map((f) => f.kind)).size >= 8, 'the mix is spread');
    }));
});
