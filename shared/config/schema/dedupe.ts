import { integerSetting, numberSetting, type SettingSpec } from '../spec.ts';
export const bloomFilterSize = integerSetting({
  name: 'BLOOM_FILTER_SIZE',
  errorId: 40,
  seedName: 'override_bloom_filter_size',
  description:
    'Records one dedupe filter generation holds. When the current generation is full it becomes the previous one and a new one starts, so at least this many recent records are always recognised; two generations are held in memory.',
  min: 1000,
  max: 100_000_000,
  default: 10_000_000,
});
export const bloomFilterBufferSize = integerSetting({
  name: 'BLOOM_FILTER_BUFFER_SIZE',
  errorId: 41,
  seedName: 'override_bloom_filter_buffer_size',
  description:
    'Superseded by the two filter generations: still accepted so existing deployments keep working, and no longer used.',
  min: 100,
  max: 10_000_000,
  default: 100_000,
});
export const bloomFilterErrorRate = numberSetting({
  name: 'BLOOM_FILTER_ERROR_RATE',
  errorId: 42,
  description:
    'Target false-positive rate of a full generation: the share of unique records wrongly taken for duplicates (up to twice this while both generations are full). 1e-6 costs ~39 MB per 10M records.',
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
