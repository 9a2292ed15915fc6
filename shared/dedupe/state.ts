import { crc32 } from 'node:zlib';
import { dedupeError } from './errors.ts';
import { Generation, type GenerationSizing } from './generation.ts';
import { BLOCK_BITS, MAX_BLOCKED_HASHES } from './sizing.ts';
import type { FilterParts, NumberedGeneration } from './filter.ts';

/**
 * The sealed dedupe state (format 3), all little-endian: a 128-byte header, then the current generation's bit
 * array unless it is still empty. The previous generation, written once when it filled, is a blob of its own
 * (`previousBlobName`), checked against the CRC and sizing recorded here; records added since the seal are in the
 * journal of this seal's epoch (`journalBlobName`).
 *
 * | offset | field                                                   |
 * | ------ | ------------------------------------------------------- |
 * | 0      | magic `DDBF`, u16 format version (3), u16 header length |
 * | 8      | u32 digest seed, u32 epoch (seal number)                |
 * | 16     | u32 flags: 1 current bits stored, 2 previous present,   |
 * |        | 4 current blocked, 8 previous blocked (else classic)    |
 * | 20     | current: u32 number, count, capacity, bits, hashes      |
 * | 40     | current: f64 error rate, u32 CRC-32 of its bits         |
 * | 52     | previous: u32 number, count, capacity, bits, hashes     |
 * | 72     | previous: f64 error rate, u32 CRC-32 of its bits        |
 * | 84     | reserved (0) to 124, u32 CRC-32 of bytes 0..123         |
 *
 * Format 2 is format 3 without the layout flags: every generation classic. It is still read, and its generations
 * keep their layout; format 3 is a new number so that code which knows only classic generations refuses a blocked
 * one instead of misreading it. Format 1 (one blob: a 64-byte header, one bit array and a ring of recent digests) is
 * still read too, for the upgrade.
 */

export const SEALED_HEADER_BYTES = 128;
export const STATE_VERSION = 3;
/** The format before blocked generations, still read. */
const CLASSIC_ONLY_VERSION = 2;
const MAGIC = 0x46424444; // "DDBF" read as a little-endian u32
const CURRENT_STORED = 1;
const PREVIOUS_PRESENT = 2;
const CURRENT_BLOCKED = 4;
const PREVIOUS_BLOCKED = 8;
const KNOWN_FLAGS = CURRENT_STORED | PREVIOUS_PRESENT | CURRENT_BLOCKED | PREVIOUS_BLOCKED;

/** What the sealed header says about one generation. */
export interface GenerationRecord {
  number: number;
  count: number;
  sizing: GenerationSizing;
  bodyCrc: number;
}

export interface SealedHeader {
  seed: number;
  epoch: number;
  current: GenerationRecord & { stored: boolean };
  previous?: GenerationRecord | undefined;
}

/** Name of the journal for the seal `epoch` of the state `sealedName` whose digest seed is `seed`. */
export function journalBlobName(sealedName: string, seed: number, epoch: number): string {
  return `${sealedName}.${hex(seed)}.e${epoch}.journal`;
}

/** Name of the blob holding generation `number` of the state `sealedName` whose digest seed is `seed`. */
export function previousBlobName(sealedName: string, seed: number, number: number): string {
  return `${sealedName}.${hex(seed)}.g${number}`;
}

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** CRC-32 of a bit array. */
export const bitsChecksum = (bits: Uint8Array): number => crc32(bits);

/** A generation as the sealed header records it (its CRC is computed here: ~10 ms for 39 MB). */
export function generationRecord(g: NumberedGeneration): GenerationRecord {
  return {
    number: g.number,
    count: g.generation.count,
    sizing: g.generation.sizing,
    bodyCrc: bitsChecksum(g.generation.bitArray),
  };
}

/**
 * The sealed header and body chunks for `parts` at `epoch`. With `emptyCurrent` the current generation is recorded
 * as empty and its bits are left out: the caller journals all its records right after the seal.
 */
export function encodeSealed(
  parts: FilterParts,
  epoch: number,
  previous: GenerationRecord | undefined,
  emptyCurrent: boolean,
): Uint8Array[] {
  const current = parts.current.generation;
  const stored = !emptyCurrent && current.count > 0;
  const bytes = new Uint8Array(SEALED_HEADER_BYTES);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, STATE_VERSION, true);
  v.setUint16(6, SEALED_HEADER_BYTES, true);
  v.setUint32(8, parts.seed, true);
  v.setUint32(12, epoch, true);
  const flags =
    (stored ? CURRENT_STORED : 0) |
    (current.sizing.layout === 'blocked' ? CURRENT_BLOCKED : 0) |
    (previous !== undefined ? PREVIOUS_PRESENT : 0) |
    (previous?.sizing.layout === 'blocked' ? PREVIOUS_BLOCKED : 0);
  v.setUint32(16, flags, true);
  const record = {
    number: parts.current.number,
    count: stored ? current.count : 0,
    sizing: current.sizing,
    bodyCrc: stored ? bitsChecksum(current.bitArray) : 0,
  };
  writeRecord(v, 20, record);
  if (previous !== undefined) writeRecord(v, 52, previous);
  v.setUint32(124, crc32(bytes.subarray(0, 124)), true);
  return stored ? [bytes, current.bitArray] : [bytes];
}

function writeRecord(v: DataView, at: number, r: GenerationRecord): void {
  v.setUint32(at, r.number, true);
  v.setUint32(at + 4, r.count, true);
  v.setUint32(at + 8, r.sizing.capacity, true);
  v.setUint32(at + 12, r.sizing.bits, true);
  v.setUint32(at + 16, r.sizing.hashes, true);
  v.setFloat64(at + 20, r.sizing.errorRate, true);
  v.setUint32(at + 28, r.bodyCrc, true);
}

function readRecord(v: DataView, at: number, blocked: boolean): GenerationRecord {
  return {
    number: v.getUint32(at, true),
    count: v.getUint32(at + 4, true),
    sizing: {
      capacity: v.getUint32(at + 8, true),
      bits: v.getUint32(at + 12, true),
      hashes: v.getUint32(at + 16, true),
      errorRate: v.getFloat64(at + 20, true),
      layout: blocked ? 'blocked' : 'classic',
    },
    bodyCrc: v.getUint32(at + 28, true),
  };
}

/** Throws `DEDUPE_STATE_CORRUPT` with `reason` in its context. */
export function corrupt(reason: string, context: Record<string, number> = {}): never {
  throw dedupeError('DEDUPE_STATE_CORRUPT', `Dedupe state is corrupt (${reason})`, { reason, ...context });
}

/** The format version of stored state, after checking its magic. */
export function stateVersion(bytes: Uint8Array): number {
  if (bytes.byteLength < 8) corrupt('short', { bytes: bytes.byteLength });
  const v = new DataView(bytes.buffer, bytes.byteOffset, 8);
  if (v.getUint32(0, true) !== MAGIC) corrupt('magic');
  return v.getUint16(4, true);
}

const sane = ({ sizing, count }: GenerationRecord): boolean =>
  sizing.bits > 0 &&
  sizing.bits % (sizing.layout === 'blocked' ? BLOCK_BITS : 64) === 0 &&
  sizing.hashes > 0 &&
  (sizing.layout === 'classic' || (sizing.hashes % 2 === 0 && sizing.hashes <= MAX_BLOCKED_HASHES)) &&
  count <= sizing.capacity;

/** Reads and checks a format-3 (or format-2) sealed header: magic, version, checksum and internal consistency. */
export function decodeSealed(bytes: Uint8Array): SealedHeader {
  const version = stateVersion(bytes);
  if (version !== STATE_VERSION && version !== CLASSIC_ONLY_VERSION) corrupt('version');
  if (bytes.byteLength < SEALED_HEADER_BYTES) corrupt('short', { bytes: bytes.byteLength });
  const v = new DataView(bytes.buffer, bytes.byteOffset, SEALED_HEADER_BYTES);
  if (v.getUint16(6, true) !== SEALED_HEADER_BYTES) corrupt('header length');
  if (v.getUint32(124, true) !== crc32(bytes.subarray(0, 124))) corrupt('header checksum');
  const flags = v.getUint32(16, true);
  const known = version === STATE_VERSION ? KNOWN_FLAGS : CURRENT_STORED | PREVIOUS_PRESENT;
  if ((flags & ~known) !== 0 || ((flags & PREVIOUS_BLOCKED) !== 0 && (flags & PREVIOUS_PRESENT) === 0))
    corrupt('header fields');
  const current = { ...readRecord(v, 20, (flags & CURRENT_BLOCKED) !== 0), stored: (flags & CURRENT_STORED) !== 0 };
  const previous = (flags & PREVIOUS_PRESENT) !== 0 ? readRecord(v, 52, (flags & PREVIOUS_BLOCKED) !== 0) : undefined;
  if (!sane(current) || (previous !== undefined && (!sane(previous) || previous.number >= current.number))) {
    corrupt('header fields');
  }
  const expected = SEALED_HEADER_BYTES + (current.stored ? current.sizing.bits / 8 : 0);
  if (bytes.byteLength !== expected) corrupt('length', { bytes: bytes.byteLength, expected });
  return { seed: v.getUint32(8, true), epoch: v.getUint32(12, true), current, previous };
}

/** The current generation of a sealed state; its bit array is a view of `bytes` (no 39 MB copy). */
export function sealedCurrent(header: SealedHeader, bytes: Uint8Array): NumberedGeneration {
  const { current } = header;
  if (!current.stored) return { number: current.number, generation: new Generation(current.sizing, undefined, 0) };
  const bits = bytes.subarray(SEALED_HEADER_BYTES);
  if (bitsChecksum(bits) !== current.bodyCrc) corrupt('body checksum');
  return { number: current.number, generation: new Generation(current.sizing, bits, current.count) };
}

/** The previous generation from its own blob, checked against what the sealed header recorded of it. */
export function storedPrevious(record: GenerationRecord, bits: Uint8Array): NumberedGeneration {
  if (bits.byteLength !== record.sizing.bits / 8) corrupt('previous length', { bytes: bits.byteLength });
  if (bitsChecksum(bits) !== record.bodyCrc) corrupt('previous checksum');
  return { number: record.number, generation: new Generation(record.sizing, bits, record.count) };
}
