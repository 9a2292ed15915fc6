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

/**
 * How a generation places a record's bits. `classic`: anywhere in the array (each bit position its own cache miss:
 * ~20 at the default sizing). `blocked`: half the positions in one 64-byte block and half in another, so a record
 * touches two cache lines, at the price of ~8 % more bits for the same false-positive rate.
 */
export type BitLayout = 'classic' | 'blocked';

/** Bits of one block of the blocked layout: one 64-byte cache line. */
export const BLOCK_BITS = 512;

/**
 * Odd 32-bit multipliers, a fixed part of the blocked layout (changing one would misplace every stored record):
 * position i in a block is the top 9 bits of (d2·A_i xor d3·B_i), multiply-shift hashing of the digest's last two
 * words, so the positions depend on 64 bits of the digest and two records share all of them only by chance.
 */
const SALTS = Uint32Array.from({ length: 128 }, (_, i) => {
  // SplitMix32-style constants from the index: deterministic, well spread, odd.
  let z = Math.imul(i + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 1;
});

/** Most positions a blocked record may have: each takes two of the SALTS. */
export const MAX_BLOCKED_HASHES = SALTS.length / 2;

/** Bits and hash count for `settings`; throws `DEDUPE_SETTINGS_INVALID` when no filter fits them. */
export function filterSize(settings: DedupeSettings, layout: BitLayout = 'classic'): { bits: number; hashes: number } {
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
  const size =
    layout === 'blocked'
      ? blockedSize(capacity, errorRate)
      : { bits: optimalBits(capacity, errorRate), hashes: optimalHashCount(capacity, errorRate) };
  if (size.bits > MAX_BITS) {
    throw dedupeError('DEDUPE_SETTINGS_INVALID', 'Dedupe filter would exceed the largest supported bit array', {
      ...context,
      bits: size.bits,
    });
  }
  return size;
}

/**
 * Mean over blocks of (share of a block's bits set)^`perBlock`: the chance that `perBlock` positions of one block are
 * all set, when `load` records on average (Poisson) have each set `perBlock` bits of it. Summed in log space term
 * by term, so loads in the hundreds neither underflow nor overflow.
 */
function blockMatchProbability(load: number, perBlock: number): number {
  if (load === 0) return 0;
  const keep = Math.log1p(-1 / BLOCK_BITS) * perBlock;
  const spread = Math.sqrt(load);
  const from = Math.max(0, Math.floor(load - 12 * spread - 12));
  const to = Math.ceil(load + 12 * spread + 12);
  let logPmf = -load + from * Math.log(load) - logFactorial(from);
  let sum = 0;
  for (let i = from; i <= to; i++) {
    if (i > from) logPmf += Math.log(load / i);
    sum += Math.exp(logPmf + perBlock * Math.log1p(-Math.exp(keep * i)));
  }
  return sum;
}

function logFactorial(n: number): number {
  let sum = 0;
  for (let i = 2; i <= n; i++) sum += Math.log(i);
  return sum;
}

/** False-positive probability of a blocked generation after `count` distinct insertions (`hashes` is even). */
export function blockedFalsePositiveRate(bits: number, hashes: number, count: number): number {
  const blocks = bits / BLOCK_BITS;
  // Each record sets hashes/2 bits in each of its two blocks, so a block takes on average 2·count/blocks records.
  return blockMatchProbability((2 * count) / blocks, hashes / 2) ** 2;
}

const blockedSizes = new Map<string, { bits: number; hashes: number }>();

/** Largest size the blocked search looks at: 512 times MAX_BITS. */
const SEARCH_LIMIT_BITS = 2 ** 40;

/**
 * The smallest blocked layout holding `capacity` records at `errorRate`: for each even hash count, the fewest
 * blocks that meet the rate (a binary search), and the fewest bits over all counts; infinite bits when even
 * SEARCH_LIMIT_BITS does not meet it. Memoised: settings rarely change.
 */
export function blockedSize(capacity: number, errorRate: number): { bits: number; hashes: number } {
  const key = `${capacity}/${errorRate}`;
  const known = blockedSizes.get(key);
  if (known !== undefined) return known;
  let best = { bits: Infinity, hashes: 0 };
  const classicHashes = optimalHashCount(capacity, errorRate);
  const mostPerBlock = Math.min(MAX_BLOCKED_HASHES / 2, Math.max(2, classicHashes));
  for (let perBlock = 1; perBlock <= mostPerBlock; perBlock++) {
    const meets = (blocks: number): boolean =>
      blockedFalsePositiveRate(blocks * BLOCK_BITS, 2 * perBlock, capacity) <= errorRate;
    let high = Math.max(1, Math.ceil(optimalBits(capacity, errorRate) / BLOCK_BITS));
    // Sizes far past MAX_BITS are still found, so a refusal can say how much was needed; the bound keeps every
    // count exact for the binary search (past 2^53 it would never end).
    while (!meets(high) && high * BLOCK_BITS <= SEARCH_LIMIT_BITS) high *= 2;
    if (!meets(high)) continue;
    let low = 0;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (meets(mid)) high = mid;
      else low = mid;
    }
    if (high * BLOCK_BITS < best.bits) best = { bits: high * BLOCK_BITS, hashes: 2 * perBlock };
  }
  blockedSizes.set(key, best);
  return best;
}

const TWO_POW_21 = 2 ** 21;

/**
 * The `hashes` bit positions of a record in a blocked `bits`-bit array: even-numbered ones in the block picked by
 * the digest's first word, odd-numbered ones in the block picked by its second, so a membership test that finds a
 * clear bit usually stops after one cache line. Writes absolute bit indexes into `out` and allocates nothing.
 */
export function blockedIndexes(d: Uint32Array, bits: number, hashes: number, out: Uint32Array): void {
  const blocks = bits / BLOCK_BITS;
  const first = (d[0]! % blocks) * BLOCK_BITS;
  const second = (d[1]! % blocks) * BLOCK_BITS;
  const a = d[2]!;
  const b = d[3]!;
  for (let i = 0; i < hashes; i++) {
    const position = (Math.imul(a, SALTS[i]!) ^ Math.imul(b, SALTS[i + MAX_BLOCKED_HASHES]!)) >>> 23;
    out[i] = ((i & 1) === 0 ? first : second) + position;
  }
}

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
