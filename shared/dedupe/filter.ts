import { randomInt } from 'node:crypto';
import type { DedupeSettings } from '../config/settings-types.ts';
import { dedupeError } from './errors.ts';
import { Generation, sameSettings, sizingFor, type GenerationSizing } from './generation.ts';
import { KeyHasher } from './hash.ts';

/*
 * Why the package's BloomFilter and BitSet are not used for storage: BloomFilter hashes every element twice
 * with xxhashjs (9-13 k has+add pairs/s at 10 M / 1e-6 in tools/bench/dedupe.ts, against ~1 M adds/s here) and
 * saves as JSON with base64; both are fixed inside the class. BitSet is a Uint8Array with the same bit layout
 * (bit i is bit i % 8 of byte i / 8) behind per-bit calls, and adopting loaded state would mean allocating and
 * zeroing a second 39 MB array just to replace it. So the bits live in a plain Uint8Array and only the
 * package's sizing formulas are used (see sizing.ts).
 */

/** Bytes of one record digest, as journaled. */
export const DIGEST_BYTES = 16;

/** A generation with its number: generations are numbered from 0 and each new one takes the next number. */
export interface NumberedGeneration {
  number: number;
  generation: Generation;
}

/** What a filter is made of, as the state loader rebuilds it. */
export interface FilterParts {
  seed: number;
  current: NumberedGeneration;
  previous?: NumberedGeneration | undefined;
}

/**
 * Bloom-filter dedupe for records that Microsoft sends more than once, in two generations. Records go into the
 * current generation; when it holds `BLOOM_FILTER_SIZE` records it becomes the previous one and a fresh current one
 * starts, so at least one full generation of history is always known. A record is a duplicate when either
 * generation has it.
 *
 * Every record added is also kept as a 16-byte digest until `takePending()`, for the state's journal; replaying
 * those digests into the state they were added to (`replay()`) rebuilds exactly the same filter, rotation included,
 * because every step depends only on the digests and their order.
 */
export class DedupeFilter {
  /** Digest seed of every generation, fixed for the life of the state (journaled digests depend on it). */
  readonly seed: number;
  /** Sizing of new generations, from the settings. */
  readonly sizing: GenerationSizing;
  #current: NumberedGeneration;
  #previous: NumberedGeneration | undefined;
  readonly #hasher: KeyHasher;
  readonly #digest = new Uint32Array(4);
  #pending = new Uint32Array(4 * 1024);
  #pendingWords = 0;
  /** Records added to the current generation since the last `takePending()`. */
  #currentPending = 0;

  private constructor(sizing: GenerationSizing, parts: FilterParts) {
    this.sizing = sizing;
    this.seed = parts.seed >>> 0;
    this.#current = parts.current;
    this.#previous = parts.previous;
    this.#hasher = new KeyHasher(this.seed);
  }

  /** An empty filter sized for `settings`; `seed` defaults to a random one. */
  static create(settings: DedupeSettings, seed: number = randomInt(0, 2 ** 32)): DedupeFilter {
    const sizing = sizingFor(settings.capacity, settings.errorRate);
    return new DedupeFilter(sizing, { seed, current: { number: 0, generation: new Generation(sizing) } });
  }

  /**
   * A filter from stored generations. When the current one was sized under other BLOOM_FILTER_* settings it is
   * kept as the previous generation and a fresh current one starts under the new settings, so a change of sizing
   * keeps the history instead of discarding it (`carriedOver` says so). A current generation of the older classic
   * layout, sized as the settings say, goes on filling; the generations after it are blocked.
   */
  static fromParts(settings: DedupeSettings, parts: FilterParts): { filter: DedupeFilter; carriedOver: boolean } {
    const sizing = sizingFor(settings.capacity, settings.errorRate);
    if (parts.previous !== undefined && parts.previous.number >= parts.current.number) {
      throw dedupeError('DEDUPE_STATE_CORRUPT', 'Dedupe generations are out of order', { reason: 'generations' });
    }
    if (sameSettings(parts.current.generation.sizing, sizing))
      return { filter: new DedupeFilter(sizing, parts), carriedOver: false };
    const fresh = { number: parts.current.number + 1, generation: new Generation(sizing) };
    return {
      filter: new DedupeFilter(sizing, { seed: parts.seed, current: fresh, previous: parts.current }),
      carriedOver: true,
    };
  }

  /**
   * Records `key` unless already present. True: first time seen, now recorded; false: a duplicate (or, with
   * probability about `estimatedFalsePositiveRate()`, a new record mistaken for one).
   */
  addIfNew(key: string | Uint8Array): boolean {
    this.#hasher.digest(key, this.#digest);
    const generation = this.#current.number;
    if (!this.#addDigest(this.#digest)) return false;
    if (this.#current.number !== generation) this.#currentPending = 0;
    this.#currentPending++;
    this.#keep(this.#digest);
    return true;
  }

  /** True when `key` was probably recorded already; changes nothing. */
  has(key: string | Uint8Array): boolean {
    this.#hasher.digest(key, this.#digest);
    return this.#current.generation.has(this.#digest) || this.#previous?.generation.has(this.#digest) === true;
  }

  /**
   * Adds journaled digests (16 bytes each, as `takePending()` gave them) the way `addIfNew` added them, without
   * keeping them as pending again. Returns how many were new.
   */
  replay(digests: Uint8Array): number {
    if (digests.byteLength % DIGEST_BYTES !== 0) {
      throw dedupeError('DEDUPE_STATE_CORRUPT', 'Dedupe journal is not whole digests', {
        reason: 'journal length',
        bytes: digests.byteLength,
      });
    }
    const view = new DataView(digests.buffer, digests.byteOffset, digests.byteLength);
    const digest = new Uint32Array(4);
    let added = 0;
    for (let at = 0; at < digests.byteLength; at += DIGEST_BYTES) {
      for (let w = 0; w < 4; w++) digest[w] = view.getUint32(at + w * 4, true);
      if (this.#addDigest(digest)) added++;
    }
    return added;
  }

  /** The digests of records added since the last call, in order (16 bytes each), and forgets them. */
  takePending(): Uint8Array {
    const words = this.#pending.slice(0, this.#pendingWords);
    this.#pendingWords = 0;
    this.#currentPending = 0;
    return new Uint8Array(words.buffer, 0, words.byteLength);
  }

  /** Records added since the last `takePending()`. */
  get pendingRecords(): number {
    return this.#pendingWords / 4;
  }

  /**
   * True when every record of the current generation is still pending: replaying the pending digests onto an empty
   * current generation (the previous one as it is) rebuilds it, so a seal need not store its bits.
   */
  get currentAllPending(): boolean {
    return this.#currentPending === this.#current.generation.count;
  }

  /** The generation records go into now. */
  get current(): NumberedGeneration {
    return this.#current;
  }

  /** The full generation before it, if the filter ever filled up (or its settings changed). */
  get previous(): NumberedGeneration | undefined {
    return this.#previous;
  }

  /** Records held by the current generation. */
  get count(): number {
    return this.#current.generation.count;
  }

  /** Records each generation holds (`BLOOM_FILTER_SIZE`). */
  get capacity(): number {
    return this.sizing.capacity;
  }

  /** Bit array size of the current generation. */
  get bits(): number {
    return this.#current.generation.sizing.bits;
  }

  /** Bit positions per record in the current generation. */
  get hashes(): number {
    return this.#current.generation.sizing.hashes;
  }

  /** Probability that a new record is taken for a duplicate right now: either generation may match it. */
  estimatedFalsePositiveRate(): number {
    const current = this.#current.generation.falsePositiveRate();
    const previous = this.#previous?.generation.falsePositiveRate() ?? 0;
    // P(a or b) for independent matches, written so a tiny term is not lost to rounding.
    return current + previous - current * previous;
  }

  /** Adds a digest unless either generation has it; a full current generation first becomes the previous one. */
  #addDigest(digest: Uint32Array): boolean {
    let current = this.#current.generation;
    // has() leaves the digest's bit positions in the generation, for addChecked().
    if (current.has(digest)) return false;
    if (this.#previous?.generation.has(digest) === true) return false;
    if (current.full) {
      this.#previous = this.#current;
      this.#current = { number: this.#current.number + 1, generation: new Generation(this.sizing) };
      current = this.#current.generation;
      current.has(digest);
    }
    current.addChecked();
    return true;
  }

  #keep(digest: Uint32Array): void {
    if (this.#pendingWords + 4 > this.#pending.length) {
      const grown = new Uint32Array(this.#pending.length * 2);
      grown.set(this.#pending);
      this.#pending = grown;
    }
    this.#pending.set(digest, this.#pendingWords);
    this.#pendingWords += 4;
  }
}
