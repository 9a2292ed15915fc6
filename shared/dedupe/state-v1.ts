import { crc32 } from 'node:zlib';
import type { FilterParts } from './filter.ts';
import { Generation } from './generation.ts';
import { corrupt } from './state.ts';

/**
 * Format 1 of the dedupe state, read only to upgrade it: one blob with a 64-byte header, one bit array and a ring of
 * recent digests that reseeded the filter after a reset.
 *
 * | offset | field                                            |
 * | ------ | ------------------------------------------------ |
 * | 0      | magic `DDBF`, u16 version (1), u16 header length |
 * | 8      | u32 bits (m), u32 hashes (k)                     |
 * | 16     | u32 capacity, u32 buffer size                    |
 * | 24     | f64 error rate                                   |
 * | 32     | u32 count, u32 resets                            |
 * | 40     | u32 buffer position, u32 buffer length           |
 * | 48     | u32 hash seed, u32 CRC-32 of the body            |
 * | 56     | u32 reserved (0), u32 CRC-32 of bytes 0..59      |
 * | 64     | bit array, m / 8 bytes, then the ring            |
 *
 * The ring's digests were re-added to the bit array at the reset, so the bit array alone carries the history; it
 * becomes generation 0 of the upgraded state, under the same seed (the digests are computed the same way).
 */

export const V1_HEADER_BYTES = 64;

export function upgradeV1(bytes: Uint8Array): FilterParts {
  if (bytes.byteLength < V1_HEADER_BYTES) corrupt('short', { bytes: bytes.byteLength });
  const v = new DataView(bytes.buffer, bytes.byteOffset, V1_HEADER_BYTES);
  if (v.getUint16(6, true) !== V1_HEADER_BYTES) corrupt('header length');
  if (v.getUint32(60, true) !== crc32(bytes.subarray(0, 60))) corrupt('header checksum');
  const bits = v.getUint32(8, true);
  const hashes = v.getUint32(12, true);
  const capacity = v.getUint32(16, true);
  const errorRate = v.getFloat64(24, true);
  const count = v.getUint32(32, true);
  const bufferLen = v.getUint32(44, true);
  if (bits === 0 || bits % 64 !== 0 || hashes === 0 || count > capacity) corrupt('header fields');
  const bitsEnd = V1_HEADER_BYTES + bits / 8;
  const expected = bitsEnd + bufferLen * 16;
  if (bytes.byteLength !== expected) corrupt('length', { bytes: bytes.byteLength, expected });
  const bitArray = bytes.subarray(V1_HEADER_BYTES, bitsEnd);
  const body = crc32(bytes.subarray(bitsEnd), crc32(bitArray));
  if (body !== v.getUint32(52, true)) corrupt('body checksum');
  const sizing = { capacity, errorRate, bits, hashes, layout: 'classic' as const };
  return { seed: v.getUint32(48, true), current: { number: 0, generation: new Generation(sizing, bitArray, count) } };
}
