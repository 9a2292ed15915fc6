import { dedupeError } from './errors.ts';
import {
  bitIndexes,
  blockedFalsePositiveRate,
  blockedIndexes,
  falsePositiveRate,
  filterSize,
  type BitLayout,
} from './sizing.ts';

/** How one generation's bit array was sized; stored with it so a generation outlives a change of settings. */
export interface GenerationSizing {
  /** Records the generation holds before a new one starts. */
  capacity: number;
  errorRate: number;
  /** Bit array size m (a multiple of 64). */
  bits: number;
  /** Bit positions per record k. */
  hashes: number;
  /** Where those positions lie: new generations are blocked; classic ones, from before, are read as they are. */
  layout: BitLayout;
}

/**
 * Sizing for `capacity` records at `errorRate` (blocked unless asked otherwise); throws `DEDUPE_SETTINGS_INVALID`
 * when no filter fits.
 */
export function sizingFor(capacity: number, errorRate: number, layout: BitLayout = 'blocked'): GenerationSizing {
  // The buffer size is not part of a generation; 0 keeps filterSize's own check of it out of the way.
  const { bits, hashes } = filterSize({ capacity, errorRate, bufferSize: 0 }, layout);
  return { capacity, errorRate, bits, hashes, layout };
}

/**
 * True when `stored` was sized for the same BLOOM_FILTER_SIZE and error rate as `wanted`, with the bits and hash
 * count its own layout gives those settings. The layouts may differ: a generation sized before the blocked layout
 * existed still holds its records at the rate it was built for. A stored size that its settings do not explain is
 * not trusted to go on filling.
 */
export function sameSettings(stored: GenerationSizing, wanted: GenerationSizing): boolean {
  if (stored.capacity !== wanted.capacity || stored.errorRate !== wanted.errorRate) return false;
  const expected =
    stored.layout === wanted.layout ? wanted : sizingFor(stored.capacity, stored.errorRate, stored.layout);
  return stored.bits === expected.bits && stored.hashes === expected.hashes;
}

/**
 * One Bloom filter generation: a bit array and the number of records it holds. A filter keeps two of them (current
 * and previous); each computes its own bit positions from the shared 128-bit record digest, so generations of
 * different sizes can sit side by side.
 */
export class Generation {
  readonly sizing: GenerationSizing;
  readonly bitArray: Uint8Array;
  #count: number;
  readonly #indexes: Uint32Array;

  constructor(sizing: GenerationSizing, bitArray?: Uint8Array, count = 0) {
    if (bitArray !== undefined && bitArray.byteLength !== sizing.bits / 8) {
      throw dedupeError('DEDUPE_STATE_CORRUPT', 'Dedupe generation has the wrong length', {
        reason: 'length',
        bytes: bitArray.byteLength,
        expected: sizing.bits / 8,
      });
    }
    if (!(count >= 0 && count <= sizing.capacity)) {
      throw dedupeError('DEDUPE_STATE_CORRUPT', 'Dedupe generation holds more records than it was sized for', {
        reason: 'count',
        count,
        capacity: sizing.capacity,
      });
    }
    this.sizing = sizing;
    this.bitArray = bitArray ?? new Uint8Array(sizing.bits / 8);
    this.#count = count;
    this.#indexes = new Uint32Array(sizing.hashes);
  }

  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.sizing.capacity;
  }

  /** True when every bit of `digest` is set: the record was probably added to this generation. */
  has(digest: Uint32Array): boolean {
    const { bits, hashes, layout } = this.sizing;
    const indexes = this.#indexes;
    if (layout === 'blocked') blockedIndexes(digest, bits, hashes, indexes);
    else bitIndexes(digest, bits, hashes, indexes);
    const bitArray = this.bitArray;
    for (let i = 0; i < hashes; i++) {
      const index = indexes[i]!;
      if ((bitArray[index >>> 3]! & (1 << (index & 7))) === 0) return false;
    }
    return true;
  }

  /** Sets the bits of `digest`, whose positions `has()` just computed for this same digest. */
  addChecked(): void {
    const indexes = this.#indexes;
    const bitArray = this.bitArray;
    for (let i = 0; i < this.sizing.hashes; i++) {
      const index = indexes[i]!;
      bitArray[index >>> 3]! |= 1 << (index & 7);
    }
    this.#count++;
  }

  /** Probability that a record never added is taken for one of this generation's, at its current fill. */
  falsePositiveRate(): number {
    const { bits, hashes, layout } = this.sizing;
    return (layout === 'blocked' ? blockedFalsePositiveRate : falsePositiveRate)(bits, hashes, this.#count);
  }
}
