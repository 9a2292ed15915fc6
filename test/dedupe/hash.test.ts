import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyHasher, murmur3x86x128 } from '../../shared/dedupe/hash.ts';

function digestOf(hasher: KeyHasher, key: string | Uint8Array): number[] {
  const out = new Uint32Array(4);
  hasher.digest(key, out);
  return [...out];
}

test('MurmurHash3 x86_128 passes the SMHasher verification value 0xB3ECE62A', () => {
  // SMHasher's check: hash the keys [0], [0,1], ... [0..254] with seed 256 - length, concatenate the digests,
  // hash that with seed 0 and read the first 4 bytes. It covers every tail length and the block loop.
  const key = new Uint8Array(256);
  const digests = new Uint8Array(256 * 16);
  const view = new DataView(digests.buffer);
  const out = new Uint32Array(4);
  for (let i = 0; i < 256; i++) {
    key[i] = i;
    new KeyHasher(256 - i).digest(key.subarray(0, i), out);
    for (let w = 0; w < 4; w++) view.setUint32(i * 16 + w * 4, out[w]!, true);
  }
  murmur3x86x128(new DataView(digests.buffer), 0, digests.length, 0, out);
  assert.equal(out[0], 0xb3ece62a);
});

test('a string and its UTF-8 bytes give the same digest, also for non-ASCII and long keys', () => {
  const hasher = new KeyHasher(7);
  for (const key of ['', 'a', 'Id=5d1c-…-ümlaut', '😀 surrogate pair', 'x'.repeat(5000) + 'é'.repeat(3000)]) {
    assert.deepEqual(digestOf(hasher, key), digestOf(hasher, new TextEncoder().encode(key)), key.slice(0, 20));
  }
});

test('the digest depends on every byte, on the length and on the seed', () => {
  const hasher = new KeyHasher(1);
  const base = digestOf(hasher, 'abcdefghijklmnopqrstu');
  assert.notDeepEqual(digestOf(hasher, 'abcdefghijklmnopqrstv'), base);
  assert.notDeepEqual(digestOf(hasher, 'bbcdefghijklmnopqrstu'), base);
  assert.notDeepEqual(digestOf(hasher, 'abcdefghijklmnopqrst'), base);
  assert.notDeepEqual(digestOf(new KeyHasher(2), 'abcdefghijklmnopqrstu'), base);
  // Leftover bytes from a longer key in the scratch buffer must not leak into a shorter key's digest.
  hasher.digest('zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', new Uint32Array(4));
  assert.deepEqual(digestOf(hasher, 'abcdefghijklmnopqrstu'), base);
});

test('a key inside a larger buffer, at any offset and with bytes after it, gives the digest of its own copy', () => {
  // Records are digested where they lie in an HTTP chunk: neither where they start nor what follows may matter.
  const hasher = new KeyHasher(9);
  const chunk = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff);
  for (let offset = 0; offset < 8; offset++) {
    for (let length = 0; length <= 40; length++) {
      const key = chunk.subarray(offset, offset + length);
      assert.deepEqual(digestOf(hasher, key), digestOf(hasher, key.slice()), `offset ${offset}, length ${length}`);
    }
  }
  // Keys from another buffer in between: the view kept for the first one must not be used for them.
  const other = Buffer.from('a record from another chunk');
  const first = digestOf(hasher, chunk.subarray(3, 30));
  assert.deepEqual(digestOf(hasher, other), digestOf(hasher, Buffer.from(other)));
  assert.deepEqual(digestOf(hasher, chunk.subarray(3, 30)), first);
});
