import { test } from 'node:test';
import assert from 'node:assert/strict';
import bloomFilters from 'bloom-filters';
import { DedupeFilter } from '../../shared/dedupe/filter.ts';
import { bitIndexes, falsePositiveRate, optimalBits, optimalHashCount } from '../../shared/dedupe/sizing.ts';

test('10 M records at 1e-6 take ~34 MiB of bits and 20 positions per record', () => {
  const filter = DedupeFilter.create({ capacity: 10_000_000, bufferSize: 100_000, errorRate: 1e-6 });
  assert.equal(filter.bits, 287_551_808);
  assert.equal(filter.hashes, 20);
  assert.equal(filter.bits % 64, 0);
});

test('sizing agrees with the bloom-filters package (bits rounded up to whole 64-bit words)', () => {
  for (const [n, p] of [
    [1000, 0.01],
    [123_457, 1e-4],
    [5_000_000, 1e-6],
  ] as const) {
    const pkg = bloomFilters.BloomFilter.create(n, p) as unknown as { size: number; _nbHashes: number };
    assert.equal(optimalBits(n, p), Math.ceil(pkg.size / 64) * 64);
    assert.equal(optimalHashCount(n, p), pkg._nbHashes);
  }
});

test('the false-positive estimate reaches the target rate at capacity and is 0 when empty', () => {
  const n = 10_000_000;
  const m = optimalBits(n, 1e-6);
  const k = optimalHashCount(n, 1e-6);
  assert.equal(falsePositiveRate(m, k, 0), 0);
  const atCapacity = falsePositiveRate(m, k, n);
  assert.ok(atCapacity > 0.8e-6 && atCapacity < 1.2e-6, String(atCapacity));
  assert.ok(falsePositiveRate(m, k, n / 2) < atCapacity);
});

test('bit indexes stay in range, follow h1 + i*h2 mod m and never collapse when h2 is 0', () => {
  const m = 1024;
  const out = new Uint32Array(8);
  bitIndexes(Uint32Array.of(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), m, 8, out);
  const step = (out[1]! - out[0]! + m) % m;
  assert.ok(step > 0);
  for (let i = 0; i < 8; i++) {
    assert.ok(out[i]! < m);
    assert.equal(out[i], (out[0]! + i * step) % m);
  }
  bitIndexes(Uint32Array.of(0, 5 << 11, 0, 0), m, 8, out);
  assert.deepEqual([...out], [5, 6, 7, 8, 9, 10, 11, 12]);
});
