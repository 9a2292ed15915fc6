import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { O365Simulator } from '../../tools/simulator/index.ts';
import {
  api,
  DAY,
  errorCode,
  feedUrl,
  fetchToken,
  HOUR,
  iso,
  ManualClock,
  startSimulator,
  withSim,
} from './helpers.ts';

describe('content listing', () => {
  let sim: O365Simulator;
  let clock: ManualClock;
  let token: string;
  const list = (params: Record<string, string>) =>
    api(feedUrl(sim, 'subscriptions/content', { contentType: 'Audit.Exchange', ...params }), token);

  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({
      now: clock.now,
      pageSize: 3,
      data: { blobsPerContentType: 12 },
      enabledContentTypes: ['Audit.Exchange', 'Audit.SharePoint'],
    });
    token = await fetchToken(sim);
  });
  after(() => sim.close());

  it('refuses unknown content types, missing ones and types without a subscription', async () => {
    assert.equal(errorCode(await list({ contentType: 'Audit.Everything' })), 'AF20020');
    assert.equal(errorCode(await api(feedUrl(sim, 'subscriptions/content'), token)), 'AF20001');
    const noSub = await list({ contentType: 'Audit.AzureActiveDirectory' });
    assert.equal(noSub.status, 400);
    assert.equal(errorCode(noSub), 'AF20022');
  });

  it('applies the window rules: both or neither, at most 24 h, start within 7 days, end may be in the future', async () => {
    const now = clock.now();
    const cases: Array<[Record<string, string>, number, string?]> = [
      [{ startTime: iso(now - HOUR) }, 400, 'AF20055'],
      [{ endTime: iso(now) }, 400, 'AF20055'],
      [{ startTime: iso(now - DAY - 1000), endTime: iso(now) }, 400, 'AF20055'],
      [{ startTime: iso(now - DAY), endTime: iso(now) }, 200],
      [{ startTime: iso(now - 7 * DAY - 1000), endTime: iso(now - 7 * DAY + HOUR) }, 400, 'AF20055'],
      [{ startTime: iso(now - 7 * DAY), endTime: iso(now - 7 * DAY + HOUR) }, 200],
      [{ startTime: iso(now), endTime: iso(now) }, 400, 'AF20055'],
      [{ startTime: iso(now - HOUR), endTime: iso(now + 5 * HOUR) }, 200],
      [{ startTime: '2026-11-20', endTime: '2026-11-20T11:30' }, 200],
      [{ startTime: '2026-11-20T01:00:00Z', endTime: '2026-11-20T02:00:00.500' }, 200],
      [{ startTime: '2026-11-20 01:00:00', endTime: iso(now) }, 400, 'AF20002'],
      [{ startTime: '2026-02-30', endTime: iso(now) }, 400, 'AF20002'],
    ];
    for (const [params, status, code] of cases) {
      const res = await list(params);
      assert.equal(res.status, status, `${JSON.stringify(params)} -> ${res.text}`);
      if (code !== undefined) assert.equal(errorCode(res), code, JSON.stringify(params));
      else assert.ok(Array.isArray(JSON.parse(res.text)));
    }
  });

  it('filters on contentCreated with an inclusive start and an exclusive end', async () => {
    const at = Math.floor((clock.now() - 2 * HOUR) / 1000) * 1000;
    const [record] = sim.generateRecords('Audit.SharePoint', 1, at);
    const added = sim.addBlob('Audit.SharePoint', [record!], at);
    const ids = async (startTime: number, endTime: number) => {
      const res = await api(
        feedUrl(sim, 'subscriptions/content', {
          contentType: 'Audit.SharePoint',
          startTime: iso(startTime),
          endTime: iso(endTime),
        }),
        token,
      );
      return (JSON.parse(res.text) as Array<{ contentId: string }>).map((d) => d.contentId);
    };
    assert.ok((await ids(at, at + 1000)).includes(added.contentId), 'start is inclusive');
    assert.ok(!(await ids(at - 1000, at)).includes(added.contentId), 'end is exclusive');
  });

  it('pages with an absolute NextPageUri until the header is absent, covering the window exactly once', async () => {
    const now = clock.now();
    const start = now - DAY;
    const seen: string[] = [];
    let url: string | undefined = feedUrl(sim, 'subscriptions/content', {
      contentType: 'Audit.Exchange',
      startTime: iso(start),
      endTime: iso(now),
    });
    let pages = 0;
    while (url !== undefined) {
      const res = await api(url, token);
      assert.equal(res.status, 200, res.text);
      const page = JSON.parse(res.text) as Array<{ contentId: string; contentUri: string; contentCreated: string }>;
      assert.ok(page.length <= 3);
      seen.push(...page.map((d) => d.contentId));
      pages += 1;
      const next = res.headers.nextpageuri;
      if (typeof next !== 'string') break;
      const parsed = new URL(next);
      assert.equal(parsed.origin, sim.origin, 'the next page stays on the simulator');
      assert.ok(
        parsed.searchParams.has('starttime') && parsed.searchParams.has('nextpage'),
        `lowercase parameters: ${next}`,
      );
      assert.ok(!parsed.searchParams.has('PublisherIdentifier'), 'the client must add PublisherIdentifier itself');
      parsed.searchParams.set('PublisherIdentifier', sim.tenantId);
      url = parsed.href;
    }
    const expected = sim
      .contentDescriptors('Audit.Exchange')
      .filter((d) => Date.parse(d.contentCreated) >= start && Date.parse(d.contentCreated) < now)
      .map((d) => d.contentId);
    assert.ok(pages >= 2, `a multi-page listing (got ${pages} pages for ${expected.length} blobs)`);
    assert.deepEqual(seen, expected);
  });

  it('lists the last 24 hours when both bounds are omitted', async () => {
    const now = clock.now();
    const implicit = await list({});
    const explicit = await list({ startTime: iso(now - DAY), endTime: iso(now) });
    assert.equal(implicit.text, explicit.text);
    assert.equal(implicit.headers.nextpageuri !== undefined, explicit.headers.nextpageuri !== undefined);
  });

  it('rejects a forged nextPage with AF20031', async () => {
    assert.equal(errorCode(await list({ nextPage: 'not-a-page' })), 'AF20031');
  });
});

describe('stale next-page links and camel-case parameters', () => {
  it('fails a stored NextPageUri with AF20055 once its window start is older than 7 days', () =>
    withSim(
      { pageSize: 1, nextPageParamCase: 'camel', windowErrorCode: 'AF20030', nextPageKeepsPublisherIdentifier: true },
      async (sim, clock) => {
        const now = clock.now();
        const first = await api(
          feedUrl(sim, 'subscriptions/content', {
            contentType: 'Audit.General',
            startTime: iso(now - DAY),
            endTime: iso(now),
          }),
          await fetchToken(sim),
        );
        const next = first.headers.nextpageuri;
        assert.equal(typeof next, 'string');
        const parsed = new URL(next as string);
        assert.ok(
          parsed.searchParams.has('startTime') && parsed.searchParams.get('PublisherIdentifier') === sim.tenantId,
        );
        clock.advance(6 * DAY + HOUR);
        const stale = await api(next as string, await fetchToken(sim));
        assert.equal(stale.status, 400);
        assert.equal(errorCode(stale), 'AF20030');
      },
    ));
});

describe('content blobs', () => {
  it('serves each blob at its contentUri as the exact JSON array of its records', () =>
    withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      for (const descriptor of sim.contentDescriptors('Audit.SharePoint').slice(0, 3)) {
        assert.ok(descriptor.contentUri.startsWith(`${sim.feedRoot}/audit/`));
        assert.ok(descriptor.contentId.includes('$'));
        const res = await api(`${descriptor.contentUri}?PublisherIdentifier=${sim.tenantId}`, token);
        assert.equal(res.status, 200);
        assert.match(String(res.headers['content-type']), /application\/json/);
        assert.equal(res.text, `[${sim.blobRecords(descriptor.contentId).join(',')}]`);
        assert.ok(Array.isArray(JSON.parse(res.text)));
      }
    }));

  it('answers AF20051 for expired blobs, AF20050 for unknown ones and AF20052 for malformed ids', () =>
    withSim({}, async (sim, clock) => {
      let token = await fetchToken(sim);
      const [a, b] = sim.contentDescriptors('Audit.Exchange');
      assert.ok(a !== undefined && b !== undefined);
      assert.equal(sim.expireBlob(a.contentId), true);
      const expired = await api(a.contentUri, token);
      assert.equal(expired.status, 400);
      assert.equal(errorCode(expired), 'AF20051');
      assert.ok(Date.parse(sim.contentDescriptors('Audit.Exchange')[0]!.contentExpiration) < clock.now());

      assert.equal((await api(b.contentUri, token)).status, 200);
      clock.advance(Date.parse(b.contentExpiration) - clock.now());
      token = await fetchToken(sim);
      assert.equal(errorCode(await api(b.contentUri, token)), 'AF20051');

      const unknown = await api(b.contentUri.replace(/\$[0-9a-f]{32}\$/, `$${'0'.repeat(32)}$`), token);
      assert.equal(unknown.status, 404);
      assert.equal(errorCode(unknown), 'AF20050');
      assert.equal(errorCode(await api(`${sim.feedRoot}/audit/nope`, token)), 'AF20052');
    }));

  it('shows a blob added while running once the clock reaches its contentCreated', () =>
    withSim({ enabledContentTypes: ['DLP.All'] }, async (sim, clock) => {
      const token = await fetchToken(sim);
      const records = sim.generateRecords('DLP.All', 2);
      const added = sim.addBlob('DLP.All', records, clock.now() + 60_000);
      const listIds = async () => {
        const res = await api(feedUrl(sim, 'subscriptions/content', { contentType: 'DLP.All' }), token);
        return (JSON.parse(res.text) as Array<{ contentId: string }>).map((d) => d.contentId);
      };
      assert.ok(!(await listIds()).includes(added.contentId));
      clock.advance(60_000);
      assert.ok(!(await listIds()).includes(added.contentId), 'the default window ends (exclusively) now');
      clock.advance(1);
      assert.ok((await listIds()).includes(added.contentId));
      assert.deepEqual(JSON.parse((await api(added.contentUri, token)).text), records);
    }));
});
