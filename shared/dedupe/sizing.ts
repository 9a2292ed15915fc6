// The sizing formulas are the package's own; they are not re-exported from its entry point, hence the deep path.
import { optimalFilterSize, optimalHashes } from 'bloom-filters/dist/formulas.js';
import type { DedupeSettings } from '../config/settings-types.ts';
import { dedupeError } from './errors.ts';

/**
 * Largest bit array supported (256 MiB, about 74 M records at 1e-6): keeping every index and every
 * intermediate sum of the double hashing below 2^31 lets the index loop run on 32-bit integers (digest plus
 * indexes measured ~10 % faster than with the loop in doubles).
 */
export const MAX_BITS = 2 ** 31 - 64;

/**
 * Bits needed to hold `capacity` records at false-positive rate `errorRate` (m = -n ln p / ln² 2), rounded up
 * to a multiple of 64 so the bit array is whole 8-byte words and what follows it in the state stays aligned.
 */
export function optimalBits(capacity: number, errorRate: number): number {
  return Math.ceil(optimalFilterSize(capacity, errorRate) / 64) * 64;
}

/** Bit positions per record (k = ⌈m/n · ln 2⌉) that minimise false positives for these settings. */
export function optimalHashCount(capacity: number, errorRate: number): number {
  // Computed from the unrounded size so k matches the package for the same settings.
  return optimalHashes(optimalFilterSize(capacity, errorRate), capacity);
}

/** False-positive probability after `count` distinct insertions: (1 - e^(-k n / m))^k. */
export function falsePositiveRate(bits: number, hashes: number, count: number): number {
  return Math.pow(1 - Math.exp((-hashes * count) / bits), hashes);
}

/** Bits and hash count for `settings`; throws `DEDUPE_SETTINGS_INVALID` when no filter fits them. */
export function filterSize(settings: DedupeSettings): { bits: number; hashes: number } {
  const { capacity, bufferSize, errorRate } = settings;
  const context = { capacity, bufferSize, errorRate };
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0xffffffff) {
    throw dedupeError('DEDUPE_SETTINGS_INVALID', 'Dedupe capacity must be a positive 32-bit integer', context);
  }
  // The buffer reseeds the filter after a reset; as large as the capacity it would refill it at once.
  if (!Number.isInteger(bufferSize) || bufferSize < 0 || bufferSize >= capacity) {
    throw dedupeError('DEDUPE_SETTINGS_INVALID', 'Dedupe buffer size must be an integer in [0, capacity)', context);
  }
  if (!(errorRate > 0 && errorRate < 1)) {
    throw dedupeError('DEDUPE_SETTINGS_INVALID', 'Dedupe error rate must be between 0 and 1', context);
  }
  const bits = optimalBits(capacity, errorRate);
  if (bits > MAX_BITS) {
    throw dedupeError('DEDUPE_SETTINGS_INVALID', 'Dedupe filter would exceed the largest supported bit array', {
      ...context,
      bits,
    });
  }
  return { bits, hashes: optimalHashCount(capacity, errorRate) };
}

const TWO_POW_21 = 2 ** 21;

/**
 * The `hashes` bit positions of a record in a `bits`-bit array (`bits` <= MAX_BITS), from its 128-bit digest
 * `d`, by enhanced double hashing (Dillinger & Manolios): x_0 = h1, x_i = x_{i-1} + y_{i-1}, y_i = y_{i-1} + i,
 * all mod m. Plain double hashing (h1 + i·h2) let two earlier records that happen to share a step cover a new
 * record's positions; measured on small filters it gave ~100x the expected false positives, the enhanced form
 * ~10x fewer. h1 and h2 are 53-bit numbers built from the digest's two halves (exact in a double, so the modulo has
 * almost no bias). Writes into `out` and allocates nothing.
 */
export function bitIndexes(d: Uint32Array, bits: number, hashes: number, out: Uint32Array): void {
  let x = (d[0]! * TWO_POW_21 + (d[1]! >>> 11)) % bits;
  // y starts in [1, m-1], so even a zero digest half spreads the positions.
  let y = ((d[2]! * TWO_POW_21 + (d[3]! >>> 11)) % (bits - 1)) + 1;
  out[0] = x;
  for (let i = 1; i < hashes; i++) {
    // Both terms are below m <= 2^31, so each sum is exact and one subtraction brings it back into range.
    x += y;
    if (x >= bits) x -= bits;
    y += i;
    if (y >= bits) y -= bits;
    out[i] = x;
  }
}
