import type { ResolvedOptions } from '../options.ts';
import type { Random } from '../random.ts';
import { createRandom } from '../random.ts';
import { DAY, HOUR, MINUTE } from '../time.ts';
import type { ContentType } from './content-types.ts';
import { CONTENT_TYPES } from './content-types.ts';
import type { AuditRecord, Directory } from './records/index.ts';
import { buildRecord } from './records/index.ts';
import type { BlobStore, RecordSource, SerializedRecord } from './store.ts';
import { arraySource } from './store.ts';

/** Builds records and blobs for one tenant from a seed. */
export class DataGenerator {
  readonly #random: Random;
  readonly #extra: Random;
  readonly #tenantId: string;
  readonly #directory: Directory;

  constructor(random: Random, tenantId: string, directory: Directory) {
    this.#random = random;
    this.#extra = random.fork('extra');
    this.#tenantId = tenantId;
    this.#directory = directory;
  }

  /** One record whose event time lies before `blobCreated` (usually minutes to hours, sometimes days). */
  record(contentType: ContentType, blobCreated: number, random: Random = this.#extra): AuditRecord {
    const age = random.chance(0.05) ? random.int(HOUR, 3 * DAY) : random.int(MINUTE, 3 * HOUR);
    return buildRecord(contentType, {
      random,
      tenantId: this.#tenantId,
      directory: this.#directory,
      creationTime: blobCreated - age,
    });
  }

  /** `count` new records of a content type with event times before `around`. */
  records(contentType: ContentType, count: number, around: number): AuditRecord[] {
    return Array.from({ length: count }, () => this.record(contentType, around));
  }

  /**
   * Fills the store with the initial blobs: per content type, blobs spread over `spanMs` before `anchor`, each
   * with 1..N records, some repeated inside the blob and across blobs (same text, same `Id`); plus large blobs.
   */
  populate(store: BlobStore, options: ResolvedOptions, anchor: number): void {
    for (const contentType of CONTENT_TYPES) {
      const random = this.#random.fork(`blobs:${contentType}`);
      const count = options.blobsPerContentType[contentType];
      const earlier: SerializedRecord[] = [];
      let repeatedInBlob = false;
      let repeatedAcross = false;
      for (let b = 0; b < count; b++) {
        const created = Math.min(
          anchor - 1000,
          Math.floor(anchor - options.spanMs + ((b + random.next()) / count) * options.spanMs),
        );
        const records: SerializedRecord[] = [];
        const slots = random.int(1, options.maxRecordsPerBlob);
        for (let slot = 0; slot < slots; slot++) {
          const canRepeat = records.length > 0 || earlier.length > 0;
          if (canRepeat && random.chance(options.duplicateShare)) {
            const inBlob = earlier.length === 0 || (records.length > 0 && random.chance(0.5));
            records.push(random.pick(inBlob ? records : earlier));
            if (inBlob) repeatedInBlob = true;
            else repeatedAcross = true;
          } else {
            records.push(serialize(this.record(contentType, created, random)));
          }
        }
        // Every content type shows both kinds of duplicate, whatever the dice said.
        if (!repeatedInBlob && records[0] !== undefined) {
          records.push(records[0]);
          repeatedInBlob = true;
        }
        if (!repeatedAcross && earlier[0] !== undefined) {
          records.push(random.pick(earlier));
          repeatedAcross = true;
        }
        store.add(contentType, arraySource(records), created);
        for (const record of records) if (!earlier.includes(record)) earlier.push(record);
      }
    }
    options.largeBlobs.forEach((spec, index) => {
      const created = spec.contentCreated ?? anchor - HOUR;
      store.add(spec.contentType, this.lazySource(spec.contentType, spec.records, created, index), created);
    });
  }

  /** Records built on demand from (seed, blob, index): the same text every time, nothing held in memory. */
  lazySource(contentType: ContentType, length: number, created: number, blobIndex: number): RecordSource {
    const seed = this.#random.fork(`large:${blobIndex}`).int(0, 0xffffffff);
    return {
      length,
      at: (index) => {
        if (index < 0 || index >= length) throw new RangeError(`record ${index} out of range`);
        return serialize(this.record(contentType, created, createRandom(seed, index + 1)));
      },
    };
  }
}

function isAuditRecord(value: unknown): value is AuditRecord & { Id: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { Id?: unknown }).Id === 'string'
  );
}

/**
 * Serializes a record once. Text is kept byte for byte (so a test can re-send an existing record exactly); it
 * must be a JSON object with a string `Id`, as every audit record has.
 */
export function serialize(record: AuditRecord | string): SerializedRecord {
  const text = typeof record === 'string' ? record : JSON.stringify(record);
  const parsed: unknown = typeof record === 'string' ? JSON.parse(record) : record;
  if (!isAuditRecord(parsed)) throw new TypeError('an audit record must be a JSON object with a string Id');
  return { id: parsed.Id, text };
}
