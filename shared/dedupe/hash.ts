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

/** True on little-endian hosts; the state format relies on it (digests are journaled as a Uint32Array's memory). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** 32-bit rotate left. */
function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/**
 * The little-endian word of the bytes at `at` as a signed 32-bit number, where bytes from `end` on count as zero:
 * the key's last 1-3 bytes, read without touching what follows them in a shared buffer.
 */
function tailWord(view: DataView, at: number, end: number): number {
  if (at + 4 <= end) return view.getInt32(at, true);
  let word = 0;
  for (let i = 0; at + i < end; i++) word |= view.getUint8(at + i) << (i << 3);
  return word;
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
 * MurmurHash3 x86_128 of the `length` bytes at `offset` in `view` into `out[0..3]` (h1..h4, unsigned). Words are
 * read four bytes at a time, little-endian, straight from where the key lies (a record inside an HTTP chunk), so a
 * key costs no copy: copying each record into an aligned scratch buffer first took about 40 % of the digest's time.
 */
export function murmur3x86x128(view: DataView, offset: number, length: number, seed: number, out: Uint32Array): void {
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const end = offset + length;
  let at = offset;
  for (const last = offset + (length & ~15); at < last; at += 16) {
    h1 ^= Math.imul(rotl(Math.imul(view.getInt32(at, true), C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(view.getInt32(at + 4, true), C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(view.getInt32(at + 8, true), C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(view.getInt32(at + 12, true), C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // The last 0-15 bytes, as words whose bytes past the end count as zero.
  const rest = length & 15;
  if (rest > 12) h4 ^= Math.imul(rotl(Math.imul(tailWord(view, at + 12, end), C4), 18), C1);
  if (rest > 8) h3 ^= Math.imul(rotl(Math.imul(tailWord(view, at + 8, end), C3), 17), C4);
  if (rest > 4) h2 ^= Math.imul(rotl(Math.imul(tailWord(view, at + 4, end), C2), 16), C3);
  if (rest > 0) h1 ^= Math.imul(rotl(Math.imul(tailWord(view, at, end), C1), 15), C2);
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
 * Digests keys where they lie, through a view of their buffer that is kept while keys come from the same one (the
 * records of one HTTP chunk share it), so the hot path allocates nothing per key. A string is encoded into a scratch
 * buffer first; it gives the same digest as its UTF-8 bytes (lone surrogates encode as U+FFFD, as in Buffer.from).
 */
export class KeyHasher {
  readonly seed: number;
  #scratch = new Uint8Array(1024);
  #scratchView = new DataView(this.#scratch.buffer);
  #view: DataView | undefined;

  constructor(seed: number) {
    if (!LITTLE_ENDIAN) throw new Error('The dedupe filter needs a little-endian host');
    this.seed = seed >>> 0;
  }

  /** Writes the 128-bit digest of `key` into `out[0..3]`. */
  digest(key: string | Uint8Array, out: Uint32Array): void {
    if (typeof key === 'string') {
      // A UTF-16 code unit never needs more than 3 UTF-8 bytes, so this size always holds the whole key.
      if (key.length * 3 > this.#scratch.length) this.#grow(key.length * 3);
      const length = encoder.encodeInto(key, this.#scratch).written;
      murmur3x86x128(this.#scratchView, 0, length, this.seed, out);
      return;
    }
    let view = this.#view;
    if (view?.buffer !== key.buffer) {
      view = new DataView(key.buffer);
      this.#view = view;
    }
    murmur3x86x128(view, key.byteOffset, key.length, this.seed, out);
  }

  #grow(min: number): void {
    this.#scratch = new Uint8Array(Math.ceil(min / 1024) * 1024);
    this.#scratchView = new DataView(this.#scratch.buffer);
  }
}
