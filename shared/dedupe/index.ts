export { DedupeFilter } from './filter.ts';
export { dedupeError, isDedupeError } from './errors.ts';
export type { DedupeError, DedupeErrorCode, DedupeErrorContext } from './errors.ts';
export { KeyHasher, murmur3x86x128 } from './hash.ts';
export { MAX_BITS, bitIndexes, falsePositiveRate, optimalBits, optimalHashCount } from './sizing.ts';
export { SEALED_HEADER_BYTES, STATE_VERSION } from './state.ts';
export { DIGEST_BYTES } from './filter.ts';
export type { FilterParts, NumberedGeneration } from './filter.ts';
export { Generation, sizingFor, type GenerationSizing } from './generation.ts';
