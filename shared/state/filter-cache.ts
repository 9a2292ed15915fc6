import { totalmem } from 'node:os';
import type { DedupeSettings } from '../config/index.ts';
import { journalBlobName } from '../dedupe/state.ts';
import type { BlobStore } from './blob-store.ts';
import type { PersistedFilter } from './filter-state.ts';

/*
 * Filters kept in memory between invocations on a warm instance. An entry is what storage holds, exactly: it is
 * kept only after a run's last checkpoint saved everything, and taken out (not shared) by the next run, which
 * checks the seal's ETag and reads only the journal's new tail. A run that fails never puts its filter back.
 */

interface WarmEntry {
  persisted: PersistedFilter;
  bytes: number;
}

const warm = new Map<string, WarmEntry>();

/** Memory the kept filters may take: a quarter of what this process may use, so five functions' filters fit. */
function budgetBytes(): number {
  const constrained = process.constrainedMemory();
  const limit = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  return limit / 4;
}

const keyOf = (store: BlobStore, name: string): string => `${store.location}\n${name}`;

const sameSettings = (a: DedupeSettings, b: DedupeSettings): boolean =>
  a.capacity === b.capacity && a.errorRate === b.errorRate;

/** Keeps a filter whose state is fully saved for the next run on this instance; the oldest go first when full. */
export function keepWarm(store: BlobStore, persisted: PersistedFilter): void {
  if (persisted.readOnly || persisted.needsSeal || persisted.filter.pendingRecords > 0) return;
  if (persisted.sealedEtag === undefined) return;
  const { filter } = persisted;
  const bytes = filter.current.generation.bitArray.byteLength + (filter.previous?.generation.bitArray.byteLength ?? 0);
  const key = keyOf(store, persisted.name);
  warm.delete(key);
  warm.set(key, { persisted, bytes });
  let total = 0;
  for (const entry of warm.values()) total += entry.bytes;
  for (const [k, entry] of warm) {
    if (total <= budgetBytes()) break;
    warm.delete(k);
    total -= entry.bytes;
  }
}

/** Drops a kept filter (its state is being removed). */
export function forgetWarm(store: BlobStore, name: string): void {
  warm.delete(keyOf(store, name));
}

/**
 * The kept filter for `name`, brought up to date, when the stored seal is still the one it was saved as: one HEAD
 * of the seal and one of the journal, plus whatever another writer appended since. Undefined means load it cold.
 */
export async function takeWarm(
  store: BlobStore,
  name: string,
  settings: DedupeSettings,
): Promise<PersistedFilter | undefined> {
  const key = keyOf(store, name);
  const entry = warm.get(key);
  if (entry === undefined) return undefined;
  warm.delete(key);
  if (!sameSettings(entry.persisted.settings, settings)) return undefined;
  const { persisted } = entry;
  const sealed = await store.properties(name);
  if (sealed?.etag !== persisted.sealedEtag) return undefined;
  const journalName = journalBlobName(name, persisted.filter.seed, persisted.epoch);
  const tail = await store.loadFrom(journalName, persisted.journalBytes);
  if (tail === undefined) return persisted.journalBytes === 0 ? persisted : undefined;
  if (tail.properties.length < persisted.journalBytes || tail.data.byteLength % 16 !== 0) return undefined;
  persisted.filter.replay(tail.data);
  persisted.journalBytes = tail.properties.length;
  return persisted;
}
