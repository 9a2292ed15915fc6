import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DedupeFilter } from '../../shared/dedupe/filter.ts';
import { isDedupeError } from '../../shared/dedupe/errors.ts';
import {
  SEALED_HEADER_BYTES,
  decodeSealed,
  encodeSealed,
  generationRecord,
  journalBlobName,
  previousBlobName,
  sealedCurrent,
  storedPrevious,
} from '../../shared/dedupe/state.ts';
import { upgradeV1 } from '../../shared/dedupe/state-v1.ts';
import { Generation, sizingFor } from '../../shared/dedupe/generation.ts';
import { crc32 } from 'node:zlib';

const SEED = 7;
const settings = { capacity: 1000, bufferSize: 100, errorRate: 1e-6 };
const key = (i: number): string => `record-${i}`;

/** A filter that filled its first generation and is half-way through the second. */
function usedFilter(): DedupeFilter {
  const filter = DedupeFilter.create(settings, SEED);
  for (let i = 0; i < 1500; i++) filter.addIfNew(key(i));
  return filter;
}

const joined = (chunks: Uint8Array[]): Buffer => Buffer.concat(chunks);

function corruptWith(bytes: Uint8Array, reason: string): void {
  assert.throws(
    () => sealedCurrent(decodeSealed(bytes), bytes),
    (err) => isDedupeError(err, 'DEDUPE_STATE_CORRUPT') && err.context.reason === reason,
    reason,
  );
}

test('a seal is a 128-byte header and the current bits, and reads back to the same generations', () => {
  const filter = usedFilter();
  const previous = generationRecord(filter.previous!);
  const chunks = encodeSealed({ seed: filter.seed, current: filter.current }, 3, previous, false);
  assert.equal(chunks.length, 2);
  assert.equal(chunks[0]!.byteLength, SEALED_HEADER_BYTES);
  assert.equal(Buffer.from(chunks[0]!.subarray(0, 4)).toString('latin1'), 'DDBF');
  const bytes = joined(chunks);
  const header = decodeSealed(bytes);
  assert.equal(header.seed, SEED);
  assert.equal(header.epoch, 3);
  assert.equal(header.current.number, 1);
  assert.equal(header.current.count, 500);
  assert.deepEqual(header.previous, previous);
  const current = sealedCurrent(header, bytes);
  const prev = storedPrevious(header.previous!, filter.previous!.generation.bitArray);
  const { filter: loaded } = DedupeFilter.fromParts(settings, { seed: header.seed, current, previous: prev });
  for (let i = 0; i < 1500; i++) assert.equal(loaded.has(key(i)), true, `key ${i}`);
  assert.equal(loaded.has(key(5000)), false);
  assert.equal(loaded.count, filter.count);
});

test('a seal with an empty current generation stores no bits', () => {
  const filter = usedFilter();
  const chunks = encodeSealed({ seed: filter.seed, current: filter.current }, 1, undefined, true);
  assert.equal(chunks.length, 1);
  const header = decodeSealed(joined(chunks));
  assert.equal(header.current.stored, false);
  assert.equal(header.current.count, 0);
  assert.equal(header.previous, undefined);
  assert.equal(sealedCurrent(header, joined(chunks)).generation.count, 0);
});

test('damage anywhere in a seal is detected', () => {
  const filter = usedFilter();
  const bytes = joined(encodeSealed({ seed: filter.seed, current: filter.current }, 1, undefined, false));
  const flip = (at: number): Buffer => {
    const copy = Buffer.from(bytes);
    copy[at]! ^= 0x10;
    return copy;
  };
  corruptWith(flip(0), 'magic');
  corruptWith(flip(30), 'header checksum');
  corruptWith(flip(SEALED_HEADER_BYTES + 5), 'body checksum');
  corruptWith(bytes.subarray(0, bytes.byteLength - 8), 'length');
  corruptWith(bytes.subarray(0, 40), 'short');
  const version = Buffer.from(bytes);
  version.writeUInt16LE(9, 4);
  corruptWith(version, 'version');
});

test('a previous generation blob must match what the seal recorded of it', () => {
  const filter = usedFilter();
  const record = generationRecord(filter.previous!);
  const bits = Buffer.from(filter.previous!.generation.bitArray);
  assert.equal(storedPrevious(record, bits).generation.count, 1000);
  bits[3]! ^= 1;
  assert.throws(
    () => storedPrevious(record, bits),
    (err) => isDedupeError(err, 'DEDUPE_STATE_CORRUPT'),
  );
  assert.throws(
    () => storedPrevious(record, bits.subarray(8)),
    (err) => isDedupeError(err, 'DEDUPE_STATE_CORRUPT') && err.context.reason === 'previous length',
  );
});

test('journal and generation blobs are named by seed and number, so a fresh state never reads an old one', () => {
  assert.equal(journalBlobName('auditGeneral.bloom', 0xab, 4), 'auditGeneral.bloom.000000ab.e4.journal');
  assert.equal(previousBlobName('auditGeneral.bloom', 0xab, 2), 'auditGeneral.bloom.000000ab.g2');
});

/** A classic-layout filter (as the format-2 code built every generation), filled like usedFilter(). */
function classicFilter(): DedupeFilter {
  const sizing = sizingFor(settings.capacity, settings.errorRate, 'classic');
  const full = new Generation(sizing);
  const current = new Generation(sizing);
  const { filter } = DedupeFilter.fromParts(settings, {
    seed: SEED,
    current: { number: 1, generation: current },
    previous: { number: 0, generation: full },
  });
  return filter;
}

test('each generation keeps its layout through a seal, in the header flags', () => {
  const filter = usedFilter();
  assert.equal(filter.current.generation.sizing.layout, 'blocked');
  const bytes = joined(
    encodeSealed({ seed: SEED, current: filter.current }, 1, generationRecord(filter.previous!), false),
  );
  assert.equal(bytes.readUInt16LE(4), 3, 'format 3');
  const header = decodeSealed(bytes);
  assert.equal(header.current.sizing.layout, 'blocked');
  assert.equal(header.previous?.sizing.layout, 'blocked');
  // A classic generation stays classic: its bits were placed by the classic scheme.
  const classic = classicFilter();
  const mixed = decodeSealed(
    joined(encodeSealed({ seed: SEED, current: filter.current }, 1, generationRecord(classic.previous!), false)),
  );
  assert.equal(mixed.current.sizing.layout, 'blocked');
  assert.equal(mixed.previous?.sizing.layout, 'classic');
});

test('a format-2 seal (classic generations only) loads with its history, and its current generation fills on', () => {
  // Format 2 is format 3 without the layout flags: build one as the format-2 code wrote it.
  const sizing = sizingFor(settings.capacity, settings.errorRate, 'classic');
  const old = new Generation(sizing);
  const { filter: writer } = DedupeFilter.fromParts(settings, { seed: SEED, current: { number: 0, generation: old } });
  for (let i = 0; i < 600; i++) writer.addIfNew(key(i));
  const bytes = joined(encodeSealed({ seed: SEED, current: writer.current }, 4, undefined, false));
  bytes.writeUInt16LE(2, 4);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 124)), 124);
  const header = decodeSealed(bytes);
  assert.equal(header.current.sizing.layout, 'classic');
  const { filter, carriedOver } = DedupeFilter.fromParts(settings, {
    seed: header.seed,
    current: sealedCurrent(header, bytes),
  });
  assert.equal(carriedOver, false, 'same settings: nothing to carry over');
  for (let i = 0; i < 600; i++) assert.equal(filter.addIfNew(key(i)), false, `key ${i}`);
  // The classic generation takes records until it is full; the one after it is blocked.
  for (let i = 600; i < 1001; i++) assert.equal(filter.addIfNew(key(i)), true, `key ${i}`);
  assert.equal(filter.current.generation.sizing.layout, 'blocked');
  assert.equal(filter.previous?.generation.sizing.layout, 'classic');
  for (let i = 0; i < 1001; i++) assert.equal(filter.has(key(i)), true, `key ${i} after the rotation`);
  // A layout flag in a format-2 header is damage, not a layout.
  const flagged = Buffer.from(bytes);
  flagged.writeUInt32LE(flagged.readUInt32LE(16) | 4, 16);
  flagged.writeUInt32LE(crc32(flagged.subarray(0, 124)), 124);
  corruptWith(flagged, 'header fields');
  // Format 3: a previous generation's layout flag without a previous generation is damage too.
  const orphan = joined(encodeSealed({ seed: SEED, current: writer.current }, 4, undefined, false));
  orphan.writeUInt32LE(orphan.readUInt32LE(16) | 8, 16);
  orphan.writeUInt32LE(crc32(orphan.subarray(0, 124)), 124);
  corruptWith(orphan, 'header fields');
});

test('a format-1 state (as written before the journal) upgrades with its history', () => {
  // Written by the format-1 code: 1,000 records at 1e-6 with a 100-record ring, reset once at record 1000, seed 7.
  const v1 = readFileSync(new URL('./fixtures/v1-state.bloom', import.meta.url));
  const parts = upgradeV1(v1);
  assert.equal(parts.seed, 7);
  assert.equal(parts.current.generation.count, 150);
  const { filter, carriedOver } = DedupeFilter.fromParts(settings, parts);
  assert.equal(carriedOver, false);
  // The ring's 100 records and the 50 added after the reset.
  for (let i = 900; i < 1050; i++) assert.equal(filter.addIfNew(`record-${i}`), false, `record ${i}`);
  assert.equal(filter.addIfNew('record-1050'), true);
  const damaged = Buffer.from(v1);
  damaged[100]! ^= 1;
  assert.throws(
    () => upgradeV1(damaged),
    (err) => isDedupeError(err, 'DEDUPE_STATE_CORRUPT'),
  );
});
