/**
 * Seeded pseudo-random source. Everything the simulator invents (GUIDs, times, record fields, probabilistic faults)
 * draws from one of these, so a given seed and clock always produce the same tenant data.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Lowercase hex string of `length` characters. */
  hex(length: number): string;
  /** Version-4 style GUID, lowercase, e.g. `1c8c0c38-4fd5-4b5b-9d4e-0f7e6b5a2c11`. */
  guid(): string;
  /** A new independent source derived from this one (so adding draws in one place does not shift another). */
  fork(label: string): Random;
}

/** Two-digit hex per byte value; formatting through a table is much cheaper than number-to-radix conversion. */
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 32-bit string hash (FNV-1a), used to derive fork seeds from labels. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** sfc32: small, fast, good enough statistical quality for test data; not for anything secret. */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * Creates a seeded source; the same seed (and stream) yields the same sequence. Distinct `stream` numbers give
 * distinct sequences for one seed, e.g. one per record of a lazily built blob.
 */
export function createRandom(seed: number | string, stream = 0): Random {
  const s = typeof seed === 'number' ? seed >>> 0 : hash32(seed);
  const raw = sfc32(0x9e3779b9 ^ (stream >>> 0), 0x243f6a88 ^ s, 0xb7e15162, s);
  for (let i = 0; i < 12; i++) raw(); // let the state mix before first use
  const random: Random = {
    next: raw,
    int: (min, max) => min + Math.floor(raw() * (max - min + 1)),
    pick: (items) => {
      const item = items[Math.floor(raw() * items.length)];
      if (item === undefined) throw new Error('pick() needs a non-empty list');
      return item;
    },
    chance: (p) => raw() < p,
    hex: (length) => {
      let out = '';
      while (out.length < length) {
        const word = (raw() * 0x100000000) >>> 0;
        out += `${BYTE_HEX[word >>> 24]}${BYTE_HEX[(word >>> 16) & 0xff]}${BYTE_HEX[(word >>> 8) & 0xff]}${BYTE_HEX[word & 0xff]}`;
      }
      return out.slice(0, length);
    },
    guid: () => {
      const h = random.hex(32);
      const variant = '89ab'[Math.floor(raw() * 4)] ?? '8';
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    fork: (label) => createRandom(`${s}:${label}`),
  };
  return random;
}
