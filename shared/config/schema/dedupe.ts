import { integerSetting, numberSetting, type SettingSpec } from '../spec.ts';
export const bloomFilterSize = integerSetting({
  name: 'BLOOM_FILTER_SIZE',
  errorId: 40,
  seedName: 'override_bloom_filter_size',
  description: 'Records one dedupe filter holds before it is reset and reseeded from the recent buffer.',
  min: 1000,
  max: 100_000_000,
  default: 10_000_000,
});
export const bloomFilterBufferSize = integerSetting({
  name: 'BLOOM_FILTER_BUFFER_SIZE',
  errorId: 41,
  seedName: 'override_bloom_filter_buffer_size',
  description:
    'Recent record hashes kept to reseed a filter after a reset; must be smaller than `BLOOM_FILTER_SIZE`. Each takes 16 bytes of the saved state, which with the filter must fit 256 MiB.',
  min: 100,
  max: 10_000_000,
  default: 100_000,
});
export const bloomFilterErrorRate = numberSetting({
  name: 'BLOOM_FILTER_ERROR_RATE',
  errorId: 42,
  description:
    'Target false-positive rate of a full filter: the share of unique records wrongly taken for duplicates. 1e-6 costs ~36 MB per 10M records.',
  min: 0,
  minExclusive: true,
  max: 0.01,
  default: 0.000001,
  fix: 'use a small probability such as 0.000001 (1e-6); 0.01 is the highest accepted.',
});

/** In README order. */
export const DEDUPE_SETTINGS: readonly SettingSpec<unknown>[] = [
  bloomFilterSize,
  bloomFilterBufferSize,
  bloomFilterErrorRate,
];
