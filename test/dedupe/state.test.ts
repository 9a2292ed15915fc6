import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DedupeFilter } from '../../shared/dedupe/filter.ts';
import { isDedupeError } from '../../shared/dedupe/errors.ts';
import type { DedupeErrorCode } from '../../shared/dedupe/errors.ts';
import { HEADER_BYTES } from '../../shared/dedupe/state.ts';

/** Fixed seeds: a rare false positive would otherwise change exact counts from run to run. */
const SEED = 12345;

const settings = { capacity: 1000, bufferSize: 100, errorRate: 1e-6 };
const key = (i: number): string => `record-${i}-${'x'.repeat(i % 40)}`;

/** A filter that has reset once and whose ring buffer has wrapped (position != length). */
function usedFilter(): DedupeFilter {
  // A fixed seed keeps the rare false positive (which would change the counts) from making the test flaky.
  const filter = DedupeFilter.create(settings, 7);
  for (let i = 0; i < 1050; i++) filter.addIfNew(key(i));
  return filter;
}

function rejects(bytes: Uint8Array, code: DedupeErrorCode, reason?: string, s = settings): void {
  assert.throws(
    () => DedupeFilter.deserialize(bytes, s),
    (err) => isDedupeError(err, code) && (reason === undefined || err.context.reason === reason),
  );
}

test('serialize writes a 64-byte header, the bit array and the filled buffer, without JSON', () => {
  const filter = usedFilter();
  const chunks = filter.serialize();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[0]!.byteLength, HEADER_BYTES);
  assert.equal(Buffer.from(chunks[0]!.subarray(0, 4)).toString('latin1'), 'DDBF');
  assert.equal(chunks[1]!.byteLength, filter.bits / 8);
  assert.equal(chunks[2]!.byteLength, 100 * 16);
  const empty = DedupeFilter.create(settings, SEED).serialize();
  assert.equal(empty[2]!.byteLength, 0);
});

test('deserialize restores membership, count, resets, seed and the ring buffer', () => {
  const filter = usedFilter();
  const loaded = DedupeFilter.deserialize(Buffer.concat(filter.serialize()), settings);
  assert.equal(loaded.count, filter.count);
  assert.equal(loaded.count, 150);
  assert.equal(loaded.resets, 1);
  assert.equal(loaded.buffered, 100);
  assert.equal(loaded.seed, filter.seed);
  assert.equal(loaded.estimatedFalsePositiveRate(), filter.estimatedFalsePositiveRate());
  for (let i = 900; i < 1050; i++) assert.equal(loaded.has(key(i)), true, `key ${i}`);
  assert.equal(loaded.has(key(5000)), false);

  // Fill both to the next reset the same way: what survives depends on the restored buffer and its position.
  for (let i = 1050; i < 1901; i++) {
    assert.equal(loaded.addIfNew(key(i)), filter.addIfNew(key(i)), `key ${i}`);
  }
  assert.equal(loaded.resets, 2);
  assert.equal(loaded.count, 101);
  for (let i = 1800; i < 1901; i++) assert.equal(loaded.has(key(i)), true, `key ${i}`);
  assert.deepEqual(Buffer.concat(loaded.serialize()), Buffer.concat(filter.serialize()));
});

test('an empty filter and a filter that never reset round-trip too', () => {
  const empty = DedupeFilter.deserialize(Buffer.concat(DedupeFilter.create(settings, SEED).serialize()), settings);
  assert.equal(empty.count, 0);
  assert.equal(empty.buffered, 0);
  const partial = DedupeFilter.create(settings, SEED);
  for (let i = 0; i < 30; i++) partial.addIfNew(key(i));
  const loaded = DedupeFilter.deserialize(Buffer.concat(partial.serialize()), settings);
  assert.equal(loaded.count, 30);
  assert.equal(loaded.buffered, 30);
  assert.equal(loaded.addIfNew(key(29)), false);
  assert.equal(loaded.addIfNew(key(30)), true);
});

test('damaged state is DEDUPE_STATE_CORRUPT with the reason', () => {
  const good = Buffer.concat(usedFilter().serialize());
  const damaged = (at: number): Buffer => {
    const copy = Buffer.from(good);
    copy[at] = copy[at]! ^ 0x10;
    return copy;
  };
  rejects(good.subarray(0, 10), 'DEDUPE_STATE_CORRUPT', 'short');
  rejects(new Uint8Array(0), 'DEDUPE_STATE_CORRUPT', 'short');
  rejects(damaged(0), 'DEDUPE_STATE_CORRUPT', 'magic');
  rejects(damaged(4), 'DEDUPE_STATE_CORRUPT', 'version');
  rejects(damaged(33), 'DEDUPE_STATE_CORRUPT', 'header checksum');
  rejects(damaged(HEADER_BYTES + 17), 'DEDUPE_STATE_CORRUPT', 'body checksum');
  rejects(damaged(good.length - 1), 'DEDUPE_STATE_CORRUPT', 'body checksum');
  rejects(good.subarray(0, good.length - 16), 'DEDUPE_STATE_CORRUPT', 'length');
  rejects(Buffer.concat([good, Buffer.alloc(1)]), 'DEDUPE_STATE_CORRUPT', 'length');
  rejects(Buffer.from(JSON.stringify({ type: 'BloomFilter', _size: 10 }).padEnd(200)), 'DEDUPE_STATE_CORRUPT', 'magic');
});

test('state saved with other settings is DEDUPE_STATE_MISMATCH', () => {
  const good = Buffer.concat(usedFilter().serialize());
  rejects(good, 'DEDUPE_STATE_MISMATCH', undefined, { ...settings, capacity: 2000 });
  rejects(good, 'DEDUPE_STATE_MISMATCH', undefined, { ...settings, errorRate: 1e-5 });
  rejects(good, 'DEDUPE_STATE_MISMATCH', undefined, { ...settings, bufferSize: 50 });
  assert.throws(
    () => DedupeFilter.deserialize(good, { ...settings, capacity: 2000 }),
    (err) => isDedupeError(err) && err.context.storedCapacity === 1000 && err.context.capacity === 2000,
  );
});

test('deserialize accepts the bytes at any offset inside a larger buffer', () => {
  const state = Buffer.concat(usedFilter().serialize());
  const host = new Uint8Array(state.length + 3);
  host.set(state, 3);
  const loaded = DedupeFilter.deserialize(host.subarray(3), settings);
  assert.equal(loaded.count, 150);
  assert.equal(loaded.has(key(1049)), true);
});
