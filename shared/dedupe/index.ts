export { DedupeFilter } from './filter.ts';
export { dedupeError, isDedupeError } from './errors.ts';
export type { DedupeError, DedupeErrorCode, DedupeErrorContext } from './errors.ts';
export { KeyHasher, murmur3x86x128 } from './hash.ts';
export { MAX_BITS, bitIndexes, falsePositiveRate, optimalBits, optimalHashCount } from './sizing.ts';
export { HEADER_BYTES, STATE_VERSION } from './state.ts';
