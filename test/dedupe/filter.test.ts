import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { DedupeFilter } from '../../shared/dedupe/filter.ts';
import { Generation } from '../../shared/dedupe/generation.ts';
import { isDedupeError } from '../../shared/dedupe/errors.ts';
// New generations are blocked: their rate is the blocked layout's formula.
import { blockedFalsePositiveRate as falsePositiveRate } from '../../shared/dedupe/sizing.ts';

/** Fixed seeds: a rare false positive would otherwise change exact counts from run to run. */
const SEED = 12345;
const POOL_SHA256 = '17c8d3f1ff460590121dd5e68212ac7aed7f764c361d44250cb3efb1e6a1c29c';

/**
 * `length` pseudo-random bytes from a 32-bit xorshift generator started at `seed`: the same bytes on every run and
 * every machine, so the filter sees the same keys and its false positives are reproducible.
 */
function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let b = 0; b < 4 && i + b < length; b++) out[i + b] = (x >>> (8 * b)) & 0xff;
  }
  return out;
}

const key = (i: number): string => `{"Id":"${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000"}`;

test('a record is new once, then a duplicate; has() agrees and changes nothing', () => {
  const filter = DedupeFilter.create({ capacity: 1000, bufferSize: 10, errorRate: 1e-6 }, SEED);
  assert.equal(filter.has(key(1)), false);
  assert.equal(filter.count, 0);
  assert.equal(filter.addIfNew(key(1)), true);
  assert.equal(filter.addIfNew(key(1)), false);
  assert.equal(filter.has(key(1)), true);
  assert.equal(filter.addIfNew(key(2)), true);
  assert.equal(filter.count, 2);
});

test('a string key and its UTF-8 bytes are the same record', () => {
  const filter = DedupeFilter.create({ capacity: 1000, bufferSize: 10, errorRate: 1e-6 }, SEED);
  assert.equal(filter.addIfNew('Grüße 📨 id-42'), true);
  assert.equal(filter.addIfNew(Buffer.from('Grüße 📨 id-42', 'utf8')), false);
  assert.equal(filter.addIfNew(new Uint8Array([1, 2, 3])), true);
  assert.equal(filter.has(new Uint8Array([1, 2, 3])), true);
});

test('the key generator is seeded: the same seed gives the same bytes on every run, another seed others', () => {
  // Pinned digest of the 100 k test's key pool: the keys are the same on every run and every machine.
  const pool = seededBytes(SEED, 2 * 100_000 * 24);
  assert.equal(createHash('sha256').update(pool).digest('hex'), POOL_SHA256);
  assert.notDeepEqual(seededBytes(SEED, 4096), seededBytes(SEED + 1, 4096));
  let ones = 0;
  for (const byte of pool.subarray(0, 1 << 16)) for (let bit = byte; bit !== 0; bit >>= 1) ones += bit & 1;
  assert.ok(Math.abs(ones / (1 << 19) - 0.5) < 0.01, `bit balance ${ones / (1 << 19)}`);
});

test('100 k distinct seeded keys: false positives stay within the expected range', () => {
  const capacity = 100_000;
  const errorRate = 0.01;
  const filter = DedupeFilter.create({ capacity, bufferSize: 1000, errorRate }, SEED);
  // Keys are 24 pseudo-random bytes each from a fixed seed: the inserted ones first, then as many never-inserted
  // probes. With the filter's seed fixed too, every count below is the same on every run.
  const pool = seededBytes(SEED, 2 * capacity * 24);
  const randomKey = (i: number): Uint8Array => pool.subarray(i * 24, i * 24 + 24);
  let dropped = 0;
  let expectedDropped = 0;
  for (let i = 0; i < capacity; i++) {
    expectedDropped += falsePositiveRate(filter.bits, filter.hashes, filter.count);
    if (!filter.addIfNew(randomKey(i))) dropped++;
  }
  // While filling, each new key is wrongly dropped with the current rate: Σ rate(i) ≈ 166 at these settings.
  assert.ok(dropped > expectedDropped * 0.5 && dropped < expectedDropped * 1.6, `${dropped} vs ${expectedDropped}`);
  assert.equal(filter.count, capacity - dropped);
  let falsePositives = 0;
  const probes = capacity;
  for (let i = 0; i < probes; i++) if (filter.has(randomKey(capacity + i))) falsePositives++;
  const expected = probes * filter.estimatedFalsePositiveRate();
  assert.ok(expected > 800 && expected < 1100, String(expected));
  // Binomial sd is ~31 here; 6 sd either way still catches a biased index scheme or hash.
  assert.ok(Math.abs(falsePositives - expected) < 190, `${falsePositives} vs ${expected}`);
  console.log(
    `dropped ${dropped} (expected ${expectedDropped.toFixed(1)}), false positives ${falsePositives} (expected ${expected.toFixed(1)})`,
  );
});

test('count and the false-positive estimate follow the insertions', () => {
  const filter = DedupeFilter.create({ capacity: 5000, bufferSize: 100, errorRate: 1e-4 }, SEED);
  assert.equal(filter.estimatedFalsePositiveRate(), 0);
  let previous = 0;
  for (let i = 0; i < 5000; i++) {
    filter.addIfNew(key(i));
    filter.addIfNew(key(i));
    if (i % 1000 === 999) {
      const rate = filter.estimatedFalsePositiveRate();
      assert.ok(rate > previous);
      previous = rate;
    }
  }
  assert.equal(filter.count, 5000);
  assert.equal(filter.estimatedFalsePositiveRate(), falsePositiveRate(filter.bits, filter.hashes, 5000));
  assert.ok(previous > 0.8e-4 && previous < 1.2e-4, String(previous));
});

test('a full generation becomes the previous one: a whole generation of history is always kept', () => {
  const filter = DedupeFilter.create({ capacity: 1000, bufferSize: 100, errorRate: 1e-6 }, SEED);
  for (let i = 0; i < 1000; i++) assert.equal(filter.addIfNew(key(i)), true);
  assert.equal(filter.count, 1000);
  assert.equal(filter.current.number, 0);
  // Full: duplicates are still answered without a new generation.
  assert.equal(filter.addIfNew(key(999)), false);
  assert.equal(filter.previous?.number, undefined, 'no previous generation yet');

  assert.equal(filter.addIfNew(key(1000)), true);
  assert.equal(filter.current.number, 1);
  assert.equal(filter.previous?.number, 0);
  assert.equal(filter.count, 1);
  // Every record of the full generation is still known, and a duplicate of one is not added to the new one.
  for (let i = 0; i <= 1000; i++) assert.equal(filter.addIfNew(key(i)), false, `key ${i}`);
  assert.equal(filter.count, 1);
  // A second rotation drops the oldest generation only.
  for (let i = 1001; i < 2001; i++) assert.equal(filter.addIfNew(key(i)), true, `key ${i}`);
  assert.equal(filter.current.number, 2);
  let forgotten = 0;
  for (let i = 0; i < 1000; i++) if (!filter.has(key(i))) forgotten++;
  assert.ok(forgotten >= 999, String(forgotten));
  for (let i = 1000; i < 2001; i++) assert.equal(filter.has(key(i)), true, `key ${i}`);
});

test('both generations count in the false-positive estimate', () => {
  const filter = DedupeFilter.create({ capacity: 1000, bufferSize: 0, errorRate: 1e-3 }, SEED);
  for (let i = 0; i < 1000; i++) filter.addIfNew(key(i));
  const full = filter.estimatedFalsePositiveRate();
  for (let i = 1000; i < 1700; i++) filter.addIfNew(key(i));
  const current = falsePositiveRate(filter.bits, filter.hashes, filter.count);
  assert.ok(current > 0 && current < full);
  assert.ok(Math.abs(filter.estimatedFalsePositiveRate() - (full + current - full * current)) < 1e-12);
  assert.ok(filter.estimatedFalsePositiveRate() > full, 'the previous generation still matches');
});

test('pending digests: new records only, taken once, and their replay rebuilds the same filter', () => {
  const settings = { capacity: 1000, bufferSize: 10, errorRate: 1e-6 };
  const filter = DedupeFilter.create(settings, SEED);
  assert.equal(filter.pendingRecords, 0);
  assert.equal(filter.has(key(1)), false);
  filter.addIfNew(key(1));
  filter.addIfNew(key(1));
  assert.equal(filter.pendingRecords, 1, 'a duplicate is not journaled');
  assert.equal(filter.currentAllPending, true);
  const first = filter.takePending();
  assert.equal(first.byteLength, 16);
  assert.equal(filter.pendingRecords, 0);
  assert.equal(filter.currentAllPending, false, 'the current generation now holds a record already taken');
  for (let i = 2; i < 1500; i++) filter.addIfNew(key(i));
  const rest = filter.takePending();

  // Replayed in order into an empty filter with the same seed: the same generations, bits and counts.
  const replayed = DedupeFilter.create(settings, SEED);
  assert.equal(replayed.replay(first), 1);
  assert.equal(replayed.replay(rest), rest.byteLength / 16);
  assert.equal(replayed.pendingRecords, 0, 'replayed digests are not journaled again');
  assert.equal(replayed.current.number, filter.current.number);
  assert.equal(replayed.count, filter.count);
  assert.deepEqual(replayed.current.generation.bitArray, filter.current.generation.bitArray);
  assert.deepEqual(replayed.previous?.generation.bitArray, filter.previous?.generation.bitArray);
  // Replaying twice changes nothing while both generations hold them: every digest is then a duplicate.
  assert.equal(replayed.replay(rest), 0);
  assert.throws(
    () => replayed.replay(new Uint8Array(15)),
    (err) => isDedupeError(err, 'DEDUPE_STATE_CORRUPT'),
  );
});

test('a change of sizing keeps the stored generation as the previous one', () => {
  const old = DedupeFilter.create({ capacity: 1000, bufferSize: 0, errorRate: 1e-6 }, SEED);
  for (let i = 0; i < 500; i++) old.addIfNew(key(i));
  const { filter, carriedOver } = DedupeFilter.fromParts(
    { capacity: 5000, bufferSize: 0, errorRate: 1e-4 },
    { seed: old.seed, current: old.current },
  );
  assert.equal(carriedOver, true);
  assert.equal(filter.capacity, 5000);
  assert.equal(filter.previous?.generation.sizing.capacity, 1000);
  assert.equal(filter.current.number, 1);
  for (let i = 0; i < 500; i++) assert.equal(filter.addIfNew(key(i)), false, `key ${i}`);
  assert.equal(filter.addIfNew(key(500)), true);
  const same = DedupeFilter.fromParts(
    { capacity: 1000, bufferSize: 7, errorRate: 1e-6 },
    { seed: old.seed, current: old.current },
  );
  assert.equal(same.carriedOver, false, 'BLOOM_FILTER_BUFFER_SIZE is not part of the sizing');
  // A stored size its own settings do not explain (here twice the bits) is not filled on: it becomes the previous one.
  const sizing = old.current.generation.sizing;
  const odd = { ...sizing, bits: sizing.bits * 2 };
  const stranger = DedupeFilter.fromParts(
    { capacity: 1000, bufferSize: 0, errorRate: 1e-6 },
    { seed: old.seed, current: { number: 0, generation: new Generation(odd) } },
  );
  assert.equal(stranger.carriedOver, true);
  assert.equal(stranger.filter.current.generation.sizing.bits, sizing.bits);
});

test('settings that cannot make a filter are rejected with DEDUPE_SETTINGS_INVALID', () => {
  for (const settings of [
    { capacity: 0, bufferSize: 0, errorRate: 0.01 },
    { capacity: 1.5, bufferSize: 0, errorRate: 0.01 },
    { capacity: 100, bufferSize: 10, errorRate: 0 },
    { capacity: 100, bufferSize: 10, errorRate: 1 },
    { capacity: 100, bufferSize: 10, errorRate: Number.NaN },
    { capacity: 100_000_000, bufferSize: 10, errorRate: 1e-6 },
    // Rates so low that no size of the search meets them: refused at once, not searched for ever.
    { capacity: 10_000_000, bufferSize: 10, errorRate: 1e-23 },
    { capacity: 1000, bufferSize: 10, errorRate: 1e-300 },
  ]) {
    assert.throws(
      () => DedupeFilter.create(settings, SEED),
      (err) => isDedupeError(err, 'DEDUPE_SETTINGS_INVALID'),
      JSON.stringify(settings),
    );
  }
});
