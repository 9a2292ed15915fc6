import { Generation, type DedupeFilter, type NumberedGeneration } from '../dedupe/index.ts';
import { encodeSealed, generationRecord, journalBlobName, previousBlobName } from '../dedupe/state.ts';
import type { BlobStore } from './blob-store.ts';
import type { PersistedFilter } from './filter-state.ts';

/** Journal size at which a checkpoint seals instead: half a generation, so replay stays short and writes cheap. */
export function compactionBytes(filter: DedupeFilter): number {
  return Math.max(64 * 1024, filter.bits / 16);
}

/** The writes that save one checkpoint's worth of the filter; resolves to the bytes written. */
export type FilterSave = () => Promise<number>;

/**
 * Decides, at this instant, how to save what the filter learned since the last save, and returns the writes that do
 * it: its new digests appended to the journal, or, when the state needs sealing (fresh, upgraded, the current
 * generation filled, the journal reached `compactionBytes`), a new seal. Everything the writes need is taken now,
 * so records added after this call (the next batch, not yet delivered) are never written by them. Saves must run in
 * the order they were planned; every write is conditional, so a second writer fails loudly.
 */
export function planFilterSave(store: BlobStore, persisted: PersistedFilter): FilterSave {
  if (persisted.readOnly) throw new Error(`Dedupe state ${persisted.name} was loaded read-only`);
  const { filter, name } = persisted;
  const allPending = filter.currentAllPending;
  const digests = filter.takePending();
  // Nothing new: loading what is stored rebuilds this same filter (an upgrade, a replay), so there is nothing to save.
  if (digests.byteLength === 0) return async () => 0;
  const rotated = filter.current.number !== persisted.sealedGeneration;
  if (persisted.needsSeal || rotated || persisted.journalBytes + digests.byteLength >= compactionBytes(filter)) {
    return planSeal(store, persisted, allPending ? digests : undefined);
  }
  const journal = journalBlobName(name, filter.seed, persisted.epoch);
  const position = persisted.journalBytes;
  persisted.journalBytes += digests.byteLength;
  return async () => {
    await store.append(journal, digests, position);
    return digests.byteLength;
  };
}

/** Plans and runs a save at once: for callers that add nothing while it runs. */
export function saveFilter(store: BlobStore, persisted: PersistedFilter): Promise<number> {
  return planFilterSave(store, persisted)();
}

/**
 * A new seal: the previous generation's blob first if it is new, then the sealed blob (conditional on the revision
 * read), which starts a new, empty journal. A kill between the two leaves an unreferenced blob that the next seal
 * replaces; a kill after the seal leaves only old journals, which nothing reads and which are removed.
 *
 * With `journal` (every record of the current generation, as when it is new), the seal records the current
 * generation as empty and those digests start the new journal: a fresh state or a new generation costs its digests,
 * not its bit array. A kill between the seal and that append forgets them, which can only mean one checkpoint of
 * duplicates, never a loss. Otherwise the current bits are copied now (39 MB at the default, once per seal), as
 * later records will be added to them before the write.
 */
function planSeal(store: BlobStore, persisted: PersistedFilter, journal: Uint8Array | undefined): FilterSave {
  const { filter, name } = persisted;
  const seed = filter.seed;
  const previous = filter.previous;
  const writePrevious = previous !== undefined && persisted.previousStored?.number !== previous.number;
  const previousRecord =
    previous === undefined ? undefined : writePrevious ? generationRecord(previous) : persisted.previousStored;
  const epoch = persisted.epoch + 1;
  const current: NumberedGeneration =
    journal !== undefined
      ? filter.current
      : {
          number: filter.current.number,
          generation: new Generation(
            filter.current.generation.sizing,
            filter.current.generation.bitArray.slice(),
            filter.current.generation.count,
          ),
        };
  const chunks = encodeSealed({ seed, current }, epoch, previousRecord, journal !== undefined);
  const keep = new Set([journalBlobName(name, seed, epoch)]);
  if (previousRecord !== undefined) keep.add(previousBlobName(name, seed, previousRecord.number));
  Object.assign(persisted, {
    epoch,
    journalBytes: journal?.byteLength ?? 0,
    sealedGeneration: filter.current.number,
    previousStored: previousRecord,
    needsSeal: false,
  });
  return async () => {
    let written = 0;
    if (writePrevious) {
      // A full generation never changes again, so its live bits can be written as they are.
      const bits = previous.generation.bitArray;
      await store.overwrite(previousBlobName(name, seed, previous.number), bits);
      written += bits.byteLength;
    }
    persisted.sealedEtag = await store.save(name, chunks, persisted.sealedEtag);
    written += chunks.reduce((sum, c) => sum + c.byteLength, 0);
    if (journal !== undefined && journal.byteLength > 0) {
      await store.append(journalBlobName(name, seed, epoch), journal, 0);
      written += journal.byteLength;
    }
    for (const blob of await store.list(`${name}.`)) if (!keep.has(blob)) await store.remove(blob);
    return written;
  };
}
