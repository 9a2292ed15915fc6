import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { DedupeSettings } from '../../shared/config/index.ts';
import { journalBlobName } from '../../shared/dedupe/state.ts';
import {
  createBlobStore,
  isStateConflict,
  keepWarm,
  loadFilter,
  openStateClients,
  removeFilter,
  saveFilter,
  type BlobStore,
} from '../../shared/state/index.ts';
import { compactionBytes } from '../../shared/state/filter-save.ts';
import { silentLogger } from '../../shared/telemetry/logger.ts';
import { startAzurite, type AzuriteHandle } from '../support/azurite.ts';

const settings: DedupeSettings = { capacity: 20_000, bufferSize: 100, errorRate: 1e-6 };
const key = (i: number): string => `{"Id":"${i}","Workload":"Exchange"}`;

let azurite: AzuriteHandle;
let real: BlobStore;

/** The real store, counting bytes read and written and naming each write. */
function counted(store: BlobStore) {
  const c = { read: 0, written: 0, writes: [] as string[] };
  const size = (d: Uint8Array | readonly Uint8Array[]): number =>
    d instanceof Uint8Array ? d.byteLength : d.reduce((n, x) => n + x.byteLength, 0);
  const short = (name: string): string => name.replace(/\.[0-9a-f]{8}\./, '.<seed>.');
  const wrapped: BlobStore = {
    ...store,
    load: async (name) => {
      const blob = await store.load(name);
      c.read += blob?.data.byteLength ?? 0;
      return blob;
    },
    loadFrom: async (name, offset) => {
      const blob = await store.loadFrom(name, offset);
      c.read += blob?.data.byteLength ?? 0;
      return blob;
    },
    save: async (name, data, etag) => (
      (c.written += size(data)),
      c.writes.push(`save ${short(name)}`),
      store.save(name, data, etag)
    ),
    overwrite: async (name, data) => (
      (c.written += size(data)),
      c.writes.push(`overwrite ${short(name)}`),
      store.overwrite(name, data)
    ),
    append: async (name, data, at) => (
      (c.written += data.byteLength),
      c.writes.push(`append ${short(name)}`),
      store.append(name, data, at)
    ),
  };
  return { store: wrapped, c };
}

before(async () => {
  azurite = await startAzurite();
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: 'cursors',
    containerName: 'journal-state',
  });
  real = createBlobStore(clients.container);
});

after(async () => {
  await azurite?.stop();
});

describe('journaled dedupe state', () => {
  test('a first checkpoint seals 128 bytes and journals 16 bytes a record; later ones only append', async () => {
    const { store, c } = counted(real);
    const p = await loadFilter(store, 'a.bloom', settings, silentLogger);
    for (let i = 0; i < 1000; i++) p.filter.addIfNew(key(i));
    assert.equal(await saveFilter(store, p), 128 + 16_000);
    assert.deepEqual(c.writes, ['save a.bloom', 'append a.bloom.<seed>.e1.journal']);
    for (let i = 1000; i < 1500; i++) p.filter.addIfNew(key(i));
    p.filter.addIfNew(key(3));
    assert.equal(await saveFilter(store, p), 8000, 'only the 500 new digests');
    assert.equal(await saveFilter(store, p), 0, 'nothing new, nothing written');
    assert.equal(c.writes.length, 3);

    const cold = await loadFilter(store, 'a.bloom', settings, silentLogger);
    for (let i = 0; i < 1500; i++) assert.equal(cold.filter.has(key(i)), true, `key ${i}`);
    assert.equal(cold.filter.count, 1500);
    assert.equal(cold.journalBytes, 24_000);
    assert.equal(cold.filter.addIfNew(key(1500)), true);
  });

  test('the journal is sealed into the filter once it reaches half a generation, and old journals go', async () => {
    const { store, c } = counted(real);
    const p = await loadFilter(store, 'b.bloom', settings, silentLogger);
    const threshold = compactionBytes(p.filter);
    let i = 0;
    while (p.journalBytes + p.filter.pendingRecords * 16 < threshold) {
      for (let n = 0; n < 500; n++) p.filter.addIfNew(key(i++));
      if (p.journalBytes + p.filter.pendingRecords * 16 < threshold) await saveFilter(store, p);
    }
    c.writes.length = 0;
    const written = await saveFilter(store, p);
    assert.deepEqual(c.writes, ['save b.bloom']);
    assert.equal(written, 128 + p.filter.bits / 8);
    assert.equal(p.journalBytes, 0);
    const names = await real.list('b.bloom.');
    assert.deepEqual(names, [], 'the sealed journal was removed');
    const cold = await loadFilter(store, 'b.bloom', settings, silentLogger);
    assert.equal(cold.filter.count, i);
    for (let k = 0; k < i; k += 97) assert.equal(cold.filter.has(key(k)), true);
  });

  test('a full generation is written once as the previous one; a reload knows both', async () => {
    const { store, c } = counted(real);
    const p = await loadFilter(store, 'c.bloom', settings, silentLogger);
    for (let i = 0; i < 20_000; i++) p.filter.addIfNew(key(i));
    await saveFilter(store, p);
    for (let i = 20_000; i < 20_300; i++) p.filter.addIfNew(key(i));
    c.writes.length = 0;
    await saveFilter(store, p);
    assert.deepEqual(c.writes, ['overwrite c.bloom.<seed>.g0', 'save c.bloom', 'append c.bloom.<seed>.e2.journal']);
    const cold = await loadFilter(store, 'c.bloom', settings, silentLogger);
    assert.equal(cold.filter.previous?.number, 0);
    assert.equal(cold.filter.current.number, 1);
    assert.equal(cold.filter.count, 300);
    for (let i = 0; i < 20_300; i += 13) assert.equal(cold.filter.has(key(i)), true, `key ${i}`);
  });

  test('a warm run with nothing new reads no state bytes; new journal bytes by another writer are replayed', async () => {
    const { store, c } = counted(real);
    const p = await loadFilter(store, 'd.bloom', settings, silentLogger);
    for (let i = 0; i < 2000; i++) p.filter.addIfNew(key(i));
    await saveFilter(store, p);
    keepWarm(store, p);
    c.read = 0;
    const warm = await loadFilter(store, 'd.bloom', settings, silentLogger);
    assert.equal(warm, p, 'the same filter, not a copy');
    assert.equal(c.read, 0);
    // Another instance appends while this one holds it warm.
    keepWarm(store, warm);
    const other = await loadFilter(store, 'd.bloom', settings, silentLogger, { readOnly: true });
    other.readOnly = false;
    for (let i = 2000; i < 2100; i++) other.filter.addIfNew(key(i));
    await saveFilter(store, other);
    c.read = 0;
    const again = await loadFilter(store, 'd.bloom', settings, silentLogger);
    assert.equal(again, p);
    assert.equal(c.read, 1600, 'only the journal tail');
    assert.equal(again.filter.has(key(2050)), true);
    // A warm filter that was not saved afterwards is never kept.
    again.filter.addIfNew(key(99_999));
    keepWarm(store, again);
    const cold = await loadFilter(store, 'd.bloom', settings, silentLogger);
    assert.notEqual(cold, again);
    assert.equal(cold.filter.has(key(99_999)), false);
  });

  test('a second writer appending from a stale position fails with STATE_CONFLICT', async () => {
    const p = await loadFilter(real, 'e.bloom', settings, silentLogger);
    p.filter.addIfNew(key(1));
    await saveFilter(real, p);
    const q = await loadFilter(real, 'e.bloom', settings, silentLogger, { readOnly: true });
    q.readOnly = false;
    p.filter.addIfNew(key(2));
    q.filter.addIfNew(key(3));
    await saveFilter(real, p);
    await assert.rejects(saveFilter(real, q), isStateConflict);
    const name = journalBlobName('e.bloom', p.filter.seed, p.epoch);
    assert.equal((await real.properties(name))?.length, 32);
  });

  test('an append whose first attempt landed is not appended twice', async () => {
    await real.append('retry.journal', new Uint8Array(16).fill(1), 0);
    const props = await real.append('retry.journal', new Uint8Array(16).fill(1), 0);
    assert.equal(props.length, 16);
    await assert.rejects(real.append('retry.journal', new Uint8Array(16).fill(2), 0), isStateConflict);
  });

  test('a format-1 blob is upgraded in place with its history, then journaled', async () => {
    const v1 = readFileSync(new URL('../dedupe/fixtures/v1-state.bloom', import.meta.url));
    const v1Settings = { capacity: 1000, bufferSize: 100, errorRate: 1e-6 };
    await real.save('old.bloom', v1, undefined);
    const { store, c } = counted(real);
    const p = await loadFilter(store, 'old.bloom', v1Settings, silentLogger);
    for (let i = 900; i < 1050; i++) assert.equal(p.filter.has(`record-${i}`), true, `record ${i}`);
    p.filter.addIfNew('record-new');
    await saveFilter(store, p);
    assert.deepEqual(c.writes, ['save old.bloom'], 'the upgrade seals the carried bits');
    const cold = await loadFilter(store, 'old.bloom', v1Settings, silentLogger);
    for (let i = 900; i < 1050; i++) assert.equal(cold.filter.has(`record-${i}`), true, `record ${i}`);
    assert.equal(cold.filter.has('record-new'), true);
  });

  test('new BLOOM_FILTER_* sizing keeps the old records as the previous generation', async () => {
    const p = await loadFilter(real, 'f.bloom', settings, silentLogger);
    for (let i = 0; i < 3000; i++) p.filter.addIfNew(key(i));
    await saveFilter(real, p);
    const bigger = { ...settings, capacity: 50_000 };
    const q = await loadFilter(real, 'f.bloom', bigger, silentLogger);
    assert.equal(q.filter.capacity, 50_000);
    for (let i = 0; i < 3000; i++) assert.equal(q.filter.addIfNew(key(i)), false, `key ${i}`);
    q.filter.addIfNew(key(3000));
    await saveFilter(real, q);
    const cold = await loadFilter(real, 'f.bloom', bigger, silentLogger);
    for (let i = 0; i <= 3000; i++) assert.equal(cold.filter.has(key(i)), true, `key ${i}`);
  });

  test('removing a state removes its seal, generations and journals', async () => {
    const p = await loadFilter(real, 'g.bloom', settings, silentLogger);
    for (let i = 0; i < 20_100; i++) p.filter.addIfNew(key(i));
    await saveFilter(real, p);
    assert.ok((await real.list('g.bloom')).length >= 2);
    await removeFilter(real, 'g.bloom');
    assert.deepEqual(await real.list('g.bloom'), []);
    const fresh = await loadFilter(real, 'g.bloom', settings, silentLogger);
    assert.equal(fresh.filter.has(key(1)), false);
  });
});
