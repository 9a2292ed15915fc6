import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContentType, O365Simulator } from '../../tools/simulator/index.ts';
import { CONTENT_TYPES } from '../../tools/simulator/index.ts';
import { api, fetchToken, ManualClock, startSimulator } from './helpers.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CREATION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

type Rec = Record<string, unknown> & { Id: string };

/** Fetches every blob of a content type over HTTPS; returns the raw bodies with their descriptors. */
async function fetchAll(
  sim: O365Simulator,
  contentType: ContentType,
): Promise<Array<{ created: number; text: string }>> {
  const token = await fetchToken(sim);
  const out = [];
  for (const d of sim.contentDescriptors(contentType)) {
    const res = await api(d.contentUri, token);
    assert.equal(res.status, 200);
    out.push({ created: Date.parse(d.contentCreated), text: res.text });
  }
  return out;
}

describe('generated tenant data', () => {
  it('is deterministic for a seed and clock, and differs for another seed', async () => {
    const snapshot = async (seed: number) => {
      const sim = await startSimulator({ now: new ManualClock().now, data: { seed } });
      try {
        const blobs = CONTENT_TYPES.flatMap((ct) =>
          sim
            .contentDescriptors(ct)
            .map((d) => [d.contentId, d.contentCreated, sim.blobRecords(d.contentId).join(',')]),
        );
        return JSON.stringify({ identity: [sim.tenantId, sim.clientId, sim.clientSecret], blobs });
      } finally {
        await sim.close();
      }
    };
    const [a, b, c] = [await snapshot(7), await snapshot(7), await snapshot(8)];
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('serves realistic records for all five content types, with the right workloads', async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({ now: clock.now, data: { blobsPerContentType: 20 } });
    try {
      const workloads = new Map<ContentType, Set<string>>();
      for (const contentType of CONTENT_TYPES) {
        const seen = new Set<string>();
        for (const blob of await fetchAll(sim, contentType)) {
          const records = JSON.parse(blob.text) as Rec[];
          assert.ok(records.length >= 1);
          for (const r of records) {
            assert.match(r.Id, GUID);
            assert.match(String(r.CreationTime), CREATION_TIME, 'CreationTime is UTC without a Z');
            assert.ok(
              Date.parse(`${String(r.CreationTime)}Z`) <= blob.created,
              'events happen before their blob is published',
            );
            assert.equal(typeof r.RecordType, 'number');
            assert.equal(typeof r.Operation, 'string');
            assert.equal(r.OrganizationId, sim.tenantId);
            assert.equal(typeof r.UserType, 'number');
            assert.equal(typeof r.UserKey, 'string');
            assert.equal(typeof r.UserId, 'string');
            assert.ok('ClientIP' in r);
            seen.add(String(r.Workload));
          }
        }
        workloads.set(contentType, seen);
      }
      assert.deepEqual([...workloads.get('Audit.AzureActiveDirectory')!], ['AzureActiveDirectory']);
      assert.deepEqual([...workloads.get('Audit.Exchange')!], ['Exchange']);
      assert.deepEqual([...workloads.get('Audit.SharePoint')!].sort(), ['OneDrive', 'SharePoint']);
      const general = workloads.get('Audit.General')!;
      assert.ok(general.size >= 3 && general.has('MicrosoftTeams'), [...general].join(', '));
      for (const w of workloads.get('DLP.All')!) assert.ok(['Exchange', 'SharePoint', 'OneDrive'].includes(w));
    } finally {
      await sim.close();
    }
  });

  it('carries non-ASCII text and JSON-escaped line breaks', async () => {
    const sim = await startSimulator({ data: { blobsPerContentType: 20 } });
    try {
      const bodies = (await fetchAll(sim, 'Audit.Exchange')).map((b) => b.text);
      assert.ok(
        bodies.some((b) => b.includes('"Subject":"Résumé – 東京"')),
        'UTF-8 text is sent as is',
      );
      assert.ok(
        bodies.every((b) => !b.includes('\n')),
        'no raw line break inside a body',
      );
      const strings = (value: unknown): string[] =>
        typeof value === 'string'
          ? [value]
          : typeof value === 'object' && value !== null
            ? Object.values(value).flatMap(strings)
            : [];
      const withBreak = bodies
        .flatMap((b) => (JSON.parse(b) as Rec[]).flatMap(strings))
        .filter((v) => v.includes('\n'));
      assert.ok(withBreak.length > 0, 'some field value holds a line break, sent escaped as \\n');
    } finally {
      await sim.close();
    }
  });

  it('repeats records inside and across blobs byte for byte, and expectedUniqueRecords is the unique set', async () => {
    const sim = await startSimulator();
    try {
      for (const contentType of CONTENT_TYPES) {
        const blobs = (await fetchAll(sim, contentType)).map((b) =>
          (JSON.parse(b.text) as Rec[]).map((r) => JSON.stringify(r)),
        );
        const texts = sim.contentDescriptors(contentType).map((d) => sim.blobRecords(d.contentId));
        assert.deepEqual(blobs, texts, 'served records are the stored texts');
        const withInnerRepeat = texts.some((records) => new Set(records).size < records.length);
        const blobsPerText = new Map<string, number>();
        for (const records of texts)
          for (const t of new Set(records)) blobsPerText.set(t, (blobsPerText.get(t) ?? 0) + 1);
        assert.ok(withInnerRepeat, `${contentType}: a record repeated inside a blob`);
        assert.ok(
          [...blobsPerText.values()].some((n) => n > 1),
          `${contentType}: a record repeated across blobs`,
        );

        const unique = sim.expectedUniqueRecords(contentType);
        const all = texts.flat();
        assert.deepEqual(unique, [...new Set(all)]);
        assert.ok(unique.length < all.length);
        const ids = unique.map((t) => (JSON.parse(t) as Rec).Id);
        assert.equal(new Set(ids).size, ids.length, 'one text per Id');
      }
    } finally {
      await sim.close();
    }
  });

  it('filters expectedUniqueRecords by contentCreated and includes blobs added later', async () => {
    const clock = new ManualClock();
    const sim = await startSimulator({ now: clock.now });
    try {
      const before = sim.expectedUniqueRecords('Audit.General');
      const records = sim.generateRecords('Audit.General', 3);
      const existing = before[0]!;
      sim.addBlob('Audit.General', [...records, existing], clock.now());
      const afterAdd = sim.expectedUniqueRecords('Audit.General');
      assert.equal(afterAdd.length, before.length + 3, 'a re-sent existing record is not new');
      assert.deepEqual(sim.expectedUniqueRecords('Audit.General', { from: clock.now() }), [
        ...records.map((r) => JSON.stringify(r)),
        existing,
      ]);
      assert.deepEqual(sim.expectedUniqueRecords('Audit.General', { to: clock.now() }), before);
      assert.throws(() => sim.addBlob('Audit.General', [{ NoId: true }]), /string Id/);
    } finally {
      await sim.close();
    }
  });

  it('streams a large blob built on demand, every record unique and repeatable', async () => {
    const clock = new ManualClock();
    const count = 10_000;
    const sim = await startSimulator({
      now: clock.now,
      data: { blobsPerContentType: 1, largeBlobs: [{ contentType: 'Audit.SharePoint', records: count }] },
    });
    try {
      // Large blobs are published an hour before the start time unless told otherwise.
      const large = sim
        .contentDescriptors('Audit.SharePoint')
        .find((d) => Date.parse(d.contentCreated) === clock.now() - 3_600_000);
      assert.ok(large !== undefined);
      const res = await api(large.contentUri, await fetchToken(sim));
      assert.equal(res.status, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      const records = JSON.parse(res.text) as Rec[];
      assert.equal(records.length, count);
      assert.equal(new Set(records.map((r) => r.Id)).size, count);
      assert.equal(res.text, `[${sim.blobRecords(large.contentId).join(',')}]`, 'same text on every build');
      const expected = sim.expectedUniqueRecords('Audit.SharePoint', { from: Date.parse(large.contentCreated) });
      assert.equal(expected.length, count);
    } finally {
      await sim.close();
    }
  });
});
