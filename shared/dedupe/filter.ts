import { randomInt } from 'node:crypto';
import type { DedupeSettings } from '../config/settings-types.ts';
import { dedupeError } from './errors.ts';
import { KeyHasher } from './hash.ts';
import { bitIndexes, falsePositiveRate, filterSize } from './sizing.ts';
import {
  DIGEST_BYTES,
  HEADER_BYTES,
  bodyChecksum,
  checkBody,
  checkLength,
  decodeHeader,
  encodeHeader,
} from './state.ts';

/*
 * Why the package's BloomFilter and BitSet are not used for storage: BloomFilter hashes every element twice
 * with xxhashjs (9-13 k has+add pairs/s at 10 M / 1e-6 in tools/bench/dedupe.ts, against ~1 M adds/s here) and
 * saves as JSON with base64; both are fixed inside the class. BitSet is a Uint8Array with the same bit layout
 * (bit i is bit i % 8 of byte i / 8) behind per-bit calls, and adopting loaded state would mean allocating and
 * zeroing a second 36 MB array just to replace it. So the bits live in a plain Uint8Array and only the
 * package's sizing formulas are used (see sizing.ts).
 */

/** True when every bit at `indexes[0, k)` is set. */
function allBitsSet(bitArray: Uint8Array, indexes: Uint32Array, k: number): boolean {
  for (let i = 0; i < k; i++) {
    const index = indexes[i]!;
    if ((bitArray[index >>> 3]! & (1 << (index & 7))) === 0) return false;
  }
  return true;
}

/** Sets every bit at `indexes[0, k)`. */
function setBits(bitArray: Uint8Array, indexes: Uint32Array, k: number): void {
  for (let i = 0; i < k; i++) {
    const index = indexes[i]!;
    bitArray[index >>> 3]! |= 1 << (index & 7);
  }
}

interface FilterParts {
  settings: DedupeSettings;
  bits: number;
  hashes: number;
  seed: number;
  bitArray: Uint8Array;
  ring: Uint32Array;
  ringPos: number;
  ringLen: number;
  count: number;
  resets: number;
}

/**
 * Bloom-filter dedupe for records that Microsoft sends more than once. Holds `capacity` records at
 * `errorRate`; when full it clears itself and re-adds the last `bufferSize` records it kept in a ring buffer,
 * so recent records are still recognised right after a reset.
 */
export class DedupeFilter {
  readonly capacity: number;
  readonly bufferSize: number;
  readonly errorRate: number;
  /** Bit array size m. */
  readonly bits: number;
  /** Bit positions per record k. */
  readonly hashes: number;
  /** Digest seed, kept across resets and in the saved state (the ring buffer's digests depend on it). */
  readonly seed: number;
  readonly #bitArray: Uint8Array;
  readonly #ring: Uint32Array;
  #ringPos: number;
  #ringLen: number;
  #count: number;
  #resets: number;
  #changed = false;
  readonly #hasher: KeyHasher;
  readonly #digest = new Uint32Array(4);
  readonly #indexes: Uint32Array;

  private constructor(p: FilterParts) {
    this.capacity = p.settings.capacity;
    this.bufferSize = p.settings.bufferSize;
    this.errorRate = p.settings.errorRate;
    this.bits = p.bits;
    this.hashes = p.hashes;
    this.seed = p.seed;
    this.#bitArray = p.bitArray;
    this.#ring = p.ring;
    this.#ringPos = p.ringPos;
    this.#ringLen = p.ringLen;
    this.#count = p.count;
    this.#resets = p.resets;
    this.#hasher = new KeyHasher(p.seed);
    this.#indexes = new Uint32Array(p.hashes);
  }

  /** An empty filter sized for `settings`; `seed` defaults to a random one. */
  static create(settings: DedupeSettings, seed: number = randomInt(0, 2 ** 32)): DedupeFilter {
    const { bits, hashes } = filterSize(settings);
    return new DedupeFilter({
      settings,
      bits,
      hashes,
      seed: seed >>> 0,
      bitArray: new Uint8Array(bits / 8),
      ring: new Uint32Array(settings.bufferSize * 4),
      ringPos: 0,
      ringLen: 0,
      count: 0,
      resets: 0,
    });
  }

  /**
   * A filter from `serialize()` output joined into one buffer. The filter keeps using `bytes` as its bit array
   * (no 36 MB copy), so the caller must not reuse them. Throws `DEDUPE_STATE_CORRUPT` for damaged state and
   * `DEDUPE_STATE_MISMATCH` for state saved under other settings; either way the caller starts a fresh filter.
   */
  static deserialize(bytes: Uint8Array, settings: DedupeSettings): DedupeFilter {
    const h = decodeHeader(bytes);
    const { bits, hashes } = filterSize(settings);
    if (
      h.capacity !== settings.capacity ||
      h.bufferSize !== settings.bufferSize ||
      h.errorRate !== settings.errorRate ||
      h.bits !== bits ||
      h.hashes !== hashes
    ) {
      throw dedupeError('DEDUPE_STATE_MISMATCH', 'Dedupe state was saved with other settings', {
        storedCapacity: h.capacity,
        storedBufferSize: h.bufferSize,
        storedErrorRate: h.errorRate,
        storedBits: h.bits,
        storedHashes: h.hashes,
        capacity: settings.capacity,
        bufferSize: settings.bufferSize,
        errorRate: settings.errorRate,
        bits,
        hashes,
      });
    }
    checkLength(h, bytes);
    const bitsEnd = HEADER_BYTES + bits / 8;
    const bitArray = bytes.subarray(HEADER_BYTES, bitsEnd);
    const ringBytes = bytes.subarray(bitsEnd);
    checkBody(h, [bitArray, ringBytes]);
    // Copied (at most bufferSize × 16 bytes) because a Uint32Array view needs an aligned offset.
    const ring = new Uint32Array(settings.bufferSize * 4);
    new Uint8Array(ring.buffer).set(ringBytes);
    return new DedupeFilter({
      settings,
      bits,
      hashes,
      seed: h.seed,
      bitArray,
      ring,
      ringPos: h.bufferPos,
      ringLen: h.bufferLen,
      count: h.count,
      resets: h.resets,
    });
  }

  /**
   * Records `key` unless already present. True: first time seen, now recorded; false: a duplicate (or, with
   * probability about `estimatedFalsePositiveRate()`, a new record mistaken for one). Indexes are computed once,
   * checked, then set.
   */
  addIfNew(key: string | Uint8Array): boolean {
    const digest = this.#digest;
    const indexes = this.#indexes;
    this.#hasher.digest(key, digest);
    bitIndexes(digest, this.bits, this.hashes, indexes);
    if (allBitsSet(this.#bitArray, indexes, this.hashes)) return false;
    if (this.#count >= this.capacity) this.#resetAndReseed();
    setBits(this.#bitArray, indexes, this.hashes);
    this.#remember(digest);
    this.#count++;
    this.#changed = true;
    return true;
  }

  /** True when `key` was probably recorded already; changes nothing. */
  has(key: string | Uint8Array): boolean {
    this.#hasher.digest(key, this.#digest);
    bitIndexes(this.#digest, this.bits, this.hashes, this.#indexes);
    return allBitsSet(this.#bitArray, this.#indexes, this.hashes);
  }

  /** Records held in the bit array since the last reset, including those re-added from the buffer by it. */
  get count(): number {
    return this.#count;
  }

  /** Times the filter filled up and was reset (kept in the saved state). */
  get resets(): number {
    return this.#resets;
  }

  /** True when a record was added since the filter was created, loaded or last serialised. */
  get changed(): boolean {
    return this.#changed;
  }

  /** Records currently kept in the ring buffer (at most `bufferSize`). */
  get buffered(): number {
    return this.#ringLen;
  }

  /** Probability that a new record is taken for a duplicate right now, from the insertion count. */
  estimatedFalsePositiveRate(): number {
    return falsePositiveRate(this.bits, this.hashes, this.#count);
  }

  /**
   * The state as chunks to write back to back: a 64-byte header, the bit array and the filled part of the ring
   * buffer. The last two are views of the live filter (nothing is copied), so write them out before the next
   * `addIfNew`. Clears `changed`.
   */
  serialize(): Uint8Array[] {
    const ringBytes = new Uint8Array(this.#ring.buffer, this.#ring.byteOffset, this.#ringLen * DIGEST_BYTES);
    const body = [this.#bitArray, ringBytes];
    const header = encodeHeader({
      bits: this.bits,
      hashes: this.hashes,
      capacity: this.capacity,
      bufferSize: this.bufferSize,
      errorRate: this.errorRate,
      count: this.#count,
      resets: this.#resets,
      bufferPos: this.#ringPos,
      bufferLen: this.#ringLen,
      seed: this.seed,
      bodyCrc: bodyChecksum(body),
    });
    this.#changed = false;
    return [header, ...body];
  }

  /** Keeps `digest` as the newest ring buffer entry, overwriting the oldest when full. */
  #remember(digest: Uint32Array): void {
    if (this.bufferSize === 0) return;
    const at = this.#ringPos * 4;
    const ring = this.#ring;
    ring[at] = digest[0]!;
    ring[at + 1] = digest[1]!;
    ring[at + 2] = digest[2]!;
    ring[at + 3] = digest[3]!;
    this.#ringPos = this.#ringPos + 1 === this.bufferSize ? 0 : this.#ringPos + 1;
    if (this.#ringLen < this.bufferSize) this.#ringLen++;
  }

  /** Clears every bit and re-adds the buffered records; `count` becomes the number re-added. */
  #resetAndReseed(): void {
    this.#bitArray.fill(0);
    this.#resets++;
    const digest = new Uint32Array(4);
    const indexes = new Uint32Array(this.hashes);
    for (let slot = 0; slot < this.#ringLen; slot++) {
      for (let w = 0; w < 4; w++) digest[w] = this.#ring[slot * 4 + w]!;
      bitIndexes(digest, this.bits, this.hashes, indexes);
      setBits(this.#bitArray, indexes, this.hashes);
    }
    this.#count = this.#ringLen;
  }
}
