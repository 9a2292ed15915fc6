export { createStateClients, ensureStateStorage, openStateClients } from './clients.ts';
export type { StateClientOptions, StateClients } from './clients.ts';
export { createCursorStore } from './cursor-store.ts';
export type { CursorLoadOptions, CursorRecord, CursorStore, CursorStoreOptions } from './cursor-store.ts';
export { createBlobStore, MAX_SINGLE_PUT_BYTES } from './blob-store.ts';
export type { BlobData, BlobProperties, BlobStore } from './blob-store.ts';
export { isLeaseLost, isStateConflict, isStateError, stateError } from './errors.ts';
export type { StateError, StateErrorCode, StateErrorContext } from './errors.ts';
export {
  createRetryList,
  decodeKeyPart,
  encodeKeyPart,
  refusedInKey,
  retryRowKey,
  type RetryEntry,
  type RetryList,
} from './retry-list.ts';
export { loadFilter, removeFilter, type PersistedFilter } from './filter-state.ts';
export { compactionBytes, planFilterSave, saveFilter, type FilterSave } from './filter-save.ts';
export { keepWarm } from './filter-cache.ts';
export { deliveryMarkName, loadDeliveryMark, type DeliveryMark } from './delivery-mark.ts';
export { loadRequestLog, requestLogName, type RequestLog } from './request-log.ts';
export { resetDecision, type ResetDecision, type ResettableCursor } from './reset-policy.ts';
export {
  acquireFunctionLock,
  DEFAULT_LEASE_SECONDS,
  lockBlobName,
  LOCK_PREFIX,
  MAX_LEASE_SECONDS,
  MIN_LEASE_SECONDS,
} from './lease.ts';
export type { FunctionLock, FunctionLockOptions } from './lease.ts';
