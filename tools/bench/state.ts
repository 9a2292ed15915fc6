import { createBlobStore, loadFilter, openStateClients, saveFilter } from '../../shared/state/index.ts';
import { silentLogger } from '../../shared/telemetry/logger.ts';
import { startAzurite } from '../../test/support/azurite.ts';

/**
 * Saves (journals 10,000 new records) and loads cold (seal plus journal replay) the default dedupe filter (10M records
 * at 1e-6, ~39 MB) through the real state code against a local Azurite, and checks that an unchanged filter is not
 * saved at all.
 */
export async function benchState(rounds = 3): Promise<Record<string, unknown>> {
  const settings = { capacity: 10_000_000, bufferSize: 100_000, errorRate: 1e-6 };
  const azurite = await startAzurite();
  try {
    const clients = await openStateClients({
      kind: 'connectionString',
      connectionString: azurite.connectionString,
      tableName: 'bench',
      containerName: 'bench',
    });
    const store = createBlobStore(clients.container);
    const persisted = await loadFilter(store, 'bench.bloom', settings, silentLogger);
    for (let i = 0; i < 200_000; i += 1) persisted.filter.addIfNew(`record-${i}`);
    const saveMs: number[] = [];
    const loadMs: number[] = [];
    let blobBytes = 0;
    let journalBytes = 0;
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < 10_000; i += 1) persisted.filter.addIfNew(`round-${round}-${i}`);
      let t = performance.now();
      await saveFilter(store, persisted);
      saveMs.push(performance.now() - t);
      t = performance.now();
      const loaded = await loadFilter(store, 'bench.bloom', settings, silentLogger, { readOnly: true });
      loadMs.push(performance.now() - t);
      if (!loaded.filter.has('record-123') || loaded.filter.count !== persisted.filter.count)
        throw new Error('filter did not survive the round trip');
      blobBytes = (await store.load('bench.bloom'))?.data.byteLength ?? 0;
      journalBytes = persisted.journalBytes;
    }
    const t = performance.now();
    const savedUnchanged = (await saveFilter(store, persisted)) > 0;
    const unchangedMs = performance.now() - t;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const saveLoad = median(saveMs.map((s, i) => s + (loadMs[i] ?? 0)));
    return {
      filter: settings,
      blobBytes,
      journalBytes,
      saveMs: saveMs.map(Math.round),
      loadMs: loadMs.map(Math.round),
      medianSaveLoadMs: Math.round(saveLoad),
      unchangedFilterSaved: savedUnchanged,
      unchangedSaveMs: Number(unchangedMs.toFixed(3)),
      meetsTarget: saveLoad <= 500 && !savedUnchanged,
    };
  } finally {
    await azurite.stop();
  }
}
