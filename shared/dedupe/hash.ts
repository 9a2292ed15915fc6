/**
 * Record digests for the dedupe filter: MurmurHash3 x86_128 over the key's bytes (strings as UTF-8).
 *
 * Why not node:crypto: every `crypto.hash()` call pays a fixed native-call and context set-up cost. On ~110-byte
 * keys on the 2-core dev machine md5, sha1 and sha256 gave 0.5–1.0 M digests/s depending on load (sha512-256
 * and blake2s256 less), while the 20 bit probes of a 10 M filter already take ~0.5 µs per add: a crypto digest
 * alone would use up the 1 M adds/s budget. This 32-bit-integer implementation gives 5–8 M digests/s including
 * the UTF-8 encoding (tools/bench/dedupe.ts reports both). A non-cryptographic digest is enough here: keys are
 * record identities chosen by the collector, and the stored per-filter seed keeps bit positions from being the
 * same across filters.
 */

/** True on little-endian hosts; the word reads below and the state format rely on it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** 32-bit rotate left. */
function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** Keeps the low `n` (1-4) bytes of a little-endian word. */
function tailMask(n: number): number {
  return n >= 4 ? -1 : (1 << (n << 3)) - 1;
}

/** MurmurHash3 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * MurmurHash3 x86_128 of the first `length` bytes viewed by `words` into `out[0..3]` (h1..h4, unsigned).
 * Bytes are read four at a time as little-endian words instead of one by one; `words` must span at least
 * `ceil(length / 4)` words (what follows `length` in the last word is masked off).
 */
export function murmur3x86x128(words: Int32Array, length: number, seed: number, out: Uint32Array): void {
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blocks = length >>> 4;
  for (let b = 0, w = 0; b < blocks; b++, w += 4) {
    h1 ^= Math.imul(rotl(Math.imul(words[w]!, C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(words[w + 1]!, C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(words[w + 2]!, C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(words[w + 3]!, C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The last 0-15 bytes: whole words with the bytes past the end masked off.
  const tw = blocks << 2;
  const rest = length & 15;
  if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(words[tw + 3]! & tailMask(rest - 12), C4), 18), C1);
  if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(words[tw + 2]! & tailMask(rest - 8), C3), 17), C4);
  if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(words[tw + 1]! & tailMask(rest - 4), C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(words[tw]! & tailMask(rest), C1), 15), C2);
  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
  out[2] = h3 >>> 0;
  out[3] = h4 >>> 0;
}

const encoder = new TextEncoder();

/**
 * Digests keys through one reusable, aligned scratch buffer so the hot path allocates nothing.
 * A string and its UTF-8 bytes give the same digest (lone surrogates encode as U+FFFD, as in Buffer.from).
 */
export class KeyHasher {
  readonly seed: number;
  #bytes: Uint8Array;
  #words: Int32Array;

  constructor(seed: number) {
    if (!LITTLE_ENDIAN) throw new Error('The dedupe filter needs a little-endian host');
    this.seed = seed >>> 0;
    this.#bytes = new Uint8Array(1024);
    this.#words = new Int32Array(this.#bytes.buffer);
  }

  /** Writes the 128-bit digest of `key` into `out[0..3]`. */
  digest(key: string | Uint8Array, out: Uint32Array): void {
    let length: number;
    if (typeof key === 'string') {
      // A UTF-16 code unit never needs more than 3 UTF-8 bytes, so this size always holds the whole key.
      if (key.length * 3 > this.#bytes.length) this.#grow(key.length * 3);
      length = encoder.encodeInto(key, this.#bytes).written;
    } else {
      if (key.length > this.#bytes.length) this.#grow(key.length);
      this.#bytes.set(key);
      length = key.length;
    }
    murmur3x86x128(this.#words, length, this.seed, out);
  }

  #grow(min: number): void {
    const size = Math.ceil(min / 1024) * 1024;
    this.#bytes = new Uint8Array(size);
    this.#words = new Int32Array(this.#bytes.buffer);
  }
}
