import type { Random } from '../random.ts';
import { compactStamp, formatContentTime } from '../time.ts';
import type { ContentType } from './content-types.ts';
import type { PageKey } from './window.ts';

/** A record serialized once; every blob that carries it sends exactly this text. */
export interface SerializedRecord {
  id: string;
  text: string;
}

/** The records of a blob, by index; large blobs build theirs on demand instead of holding them. */
export interface RecordSource {
  readonly length: number;
  at(index: number): SerializedRecord;
  /** The records are held in memory and never change, so the blob body can be rendered once and kept. */
  readonly held?: boolean;
}

export interface StoredBlob {
  /** Arrival order in the store; breaks ties between equal `contentCreated`. */
  seq: number;
  contentType: ContentType;
  contentId: string;
  contentCreated: number;
  contentExpiration: number;
  records: RecordSource;
}

/** A blob as `subscriptions/content` lists it. */
export interface ContentDescriptor {
  contentType: ContentType;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration: string;
}

/** Record source over an array. */
export function arraySource(records: readonly SerializedRecord[]): RecordSource {
  return { length: records.length, at: (i) => records[i] ?? missing(i), held: true };
}

function missing(index: number): never {
  throw new RangeError(`record ${index} out of range`);
}

/** Short workload tag inside content ids, as the service embeds one (e.g. `spo`). */
const TAGS: Record<ContentType, string> = {
  'Audit.AzureActiveDirectory': 'aad',
  'Audit.Exchange': 'exo',
  'Audit.SharePoint': 'spo',
  'Audit.General': 'gen',
  'DLP.All': 'dlp',
};

const CHUNK_CHARS = 64 * 1024;

const byKey = (a: PageKey, b: PageKey): number => a.created - b.created || a.seq - b.seq;
const keyOf = (blob: StoredBlob): PageKey => ({ created: blob.contentCreated, seq: blob.seq });

function* chunksOf(blob: StoredBlob): Iterable<string> {
  let buffer = '[';
  for (let i = 0; i < blob.records.length; i++) {
    buffer += (i === 0 ? '' : ',') + blob.records.at(i).text;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}]`;
}

/** All blobs of the tenant, per content type, in listing order. */
export class BlobStore {
  readonly #byType = new Map<ContentType, StoredBlob[]>();
  readonly #byId = new Map<string, StoredBlob>();
  readonly #apiBase: string;
  readonly #tenantHex: string;
  readonly #lifetimeMs: number;
  readonly #random: Random;
  /** Bodies of held blobs, encoded once: serving then costs no JSON building or UTF-8 encoding per request. */
  readonly #rendered = new WeakMap<StoredBlob, Buffer>();
  #seq = 0;

  constructor(apiBase: string, tenantId: string, lifetimeMs: number, random: Random) {
    this.#apiBase = apiBase;
    this.#tenantHex = tenantId.replace(/-/g, '').toLowerCase();
    this.#lifetimeMs = lifetimeMs;
    this.#random = random;
  }

  /** Stores a blob that becomes listable at `contentCreated`. */
  add(contentType: ContentType, records: RecordSource, contentCreated: number): StoredBlob {
    this.#seq += 1;
    const serial = String(this.#random.int(100_000_000_000, 999_999_999_999));
    // Shaped like the service's ids (`n$n$<tenant><tag><yyyyMMddHH>$<hex>$<nn>`), '$' and all: clients must use
    // `contentUri` as given.
    const contentId = `${serial}$${serial}$${this.#tenantHex}${TAGS[contentType]}${compactStamp(contentCreated).slice(0, 10)}$${this.#random.hex(32)}$${String(this.#seq % 100).padStart(2, '0')}`;
    const blob: StoredBlob = {
      seq: this.#seq,
      contentType,
      contentId,
      contentCreated,
      contentExpiration: contentCreated + this.#lifetimeMs,
      records,
    };
    const list = this.#byType.get(contentType) ?? [];
    const at = list.findIndex((b) => byKey(keyOf(blob), keyOf(b)) < 0);
    list.splice(at < 0 ? list.length : at, 0, blob);
    this.#byType.set(contentType, list);
    this.#byId.set(contentId, blob);
    return blob;
  }

  get(contentId: string): StoredBlob | undefined {
    return this.#byId.get(contentId);
  }

  /** Blobs of one type in listing order (all of them, available or not). */
  blobs(contentType: ContentType): StoredBlob[] {
    return [...(this.#byType.get(contentType) ?? [])];
  }

  /** Makes a blob expire now (its descriptor then shows the past expiration, and fetching it answers AF20051). */
  expire(contentId: string, now: number): boolean {
    const blob = this.#byId.get(contentId);
    if (blob === undefined) return false;
    blob.contentExpiration = Math.min(blob.contentExpiration, now - 1);
    return true;
  }

  /**
   * One listing page: blobs with `start <= contentCreated < end` that are available by `now`, from `from`
   * on, at most `limit`; `next` is where the following page starts.
   */
  page(contentType: ContentType, start: number, end: number, now: number, from: PageKey | undefined, limit: number) {
    const all = (this.#byType.get(contentType) ?? []).filter(
      (b) => b.contentCreated >= start && b.contentCreated < end && b.contentCreated <= now,
    );
    const rest = from === undefined ? all : all.filter((b) => byKey(keyOf(b), from) >= 0);
    const items = rest.slice(0, limit);
    const following = rest[limit];
    return { items, next: following === undefined ? undefined : keyOf(following) };
  }

  descriptor(blob: StoredBlob): ContentDescriptor {
    return {
      contentType: blob.contentType,
      contentId: blob.contentId,
      contentUri: `${this.#apiBase}/audit/${blob.contentId}`,
      contentCreated: formatContentTime(blob.contentCreated),
      contentExpiration: formatContentTime(blob.contentExpiration),
    };
  }

  /**
   * The blob body as a JSON array. A held blob's is rendered on first use and kept; a lazy (large) blob's is built
   * in chunks of about 64 KiB as it is sent, so it is never held whole.
   */
  body(blob: StoredBlob): () => Iterable<string | Buffer> {
    if (blob.records.held === true) {
      const rendered = this.#rendered.get(blob) ?? Buffer.from([...chunksOf(blob)].join(''));
      this.#rendered.set(blob, rendered);
      return () => [rendered];
    }
    return () => chunksOf(blob);
  }

  /**
   * Unique records of a content type as the exact text the server sends, first appearance first (blobs in
   * listing order), optionally only from blobs created in `[from, to)`.
   */
  uniqueRecords(contentType: ContentType, filter: { from?: number; to?: number } = {}): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const blob of this.#byType.get(contentType) ?? []) {
      if (blob.contentCreated < (filter.from ?? -Infinity) || blob.contentCreated >= (filter.to ?? Infinity)) continue;
      for (let i = 0; i < blob.records.length; i++) {
        const record = blob.records.at(i);
        if (seen.has(record.id)) continue;
        seen.add(record.id);
        out.push(record.text);
      }
    }
    return out;
  }
}
