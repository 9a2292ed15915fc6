import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import { httpStatusOf, serviceErrorCode, stateError, type StateError } from './errors.ts';

/** Shortest and longest finite lease the Blob service (and Azurite) accepts, in seconds. */
export const MIN_LEASE_SECONDS = 15;
export const MAX_LEASE_SECONDS = 60;
/** Default lease: short enough that the lock of a killed run frees itself within a minute. */
export const DEFAULT_LEASE_SECONDS = 30;
/** Folder of the state container holding one empty lock blob per function. */
export const LOCK_PREFIX = 'locks/';

export interface FunctionLockOptions {
  /** Lease duration in whole seconds, 15..60. Default 30. */
  leaseSeconds?: number;
  /** Time between renewals. Default a third of the lease, so two renewals can fail before it runs out. */
  renewEveryMs?: number;
  /** Wait before retrying a renewal that failed transiently (5xx, 408, 429, network). Default 1000 ms. */
  retryWaitMs?: number;
  /**
   * A renewal that would start later than this before the lease runs out is not attempted: the lease counts as
   * lost, since another holder may already have taken it. Default 1000 ms.
   */
  safetyMarginMs?: number;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Timer functions. Default the global ones; the returned handle is `unref`'d when it has `unref`. */
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/** A held per-function lock. Renewed in the background until `release()` or until the lease is lost. */
export interface FunctionLock {
  readonly functionName: string;
  /** Blob path of the lock in the state container, `locks/<functionName>`. */
  readonly blobName: string;
  readonly leaseId: string;
  /**
   * Aborts when the lease is lost (a renewal was refused, the lease was broken or taken, or it ran out before a
   * renewal succeeded). Its `reason` is a `STATE_LEASE_LOST` state error. Pass it to requests; stop writing.
   */
  readonly signal: AbortSignal;
  /**
   * Throws a `STATE_LEASE_LOST` state error unless the lease is still held by this lock (it was lost, ran out by
   * the clock before a renewal succeeded, or was released). Call before each state write.
   */
  assertHeld(): void;
  /**
   * Stops renewing and releases the lease. Idempotent; an expired, broken or taken lease is not an error. Other
   * failures (network) are thrown, and are harmless: the lease then expires by itself within `leaseSeconds`.
   */
  release(): Promise<void>;
}

/** The blob path of `functionName`'s lock. */
export function lockBlobName(functionName: string): string {
  return `${LOCK_PREFIX}${functionName}`;
}

const FUNCTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Failures worth another attempt within the lease: no response at all, a timeout, throttling or a server error. */
function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function checkOptions(
  options: FunctionLockOptions,
): Required<Pick<FunctionLockOptions, 'leaseSeconds' | 'renewEveryMs' | 'retryWaitMs' | 'safetyMarginMs'>> {
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < MIN_LEASE_SECONDS || leaseSeconds > MAX_LEASE_SECONDS) {
    throw new RangeError(`leaseSeconds must be a whole number from ${MIN_LEASE_SECONDS} to ${MAX_LEASE_SECONDS}`);
  }
  const leaseMs = leaseSeconds * 1000;
  const renewEveryMs = options.renewEveryMs ?? Math.floor(leaseMs / 3);
  const retryWaitMs = options.retryWaitMs ?? 1000;
  const safetyMarginMs = options.safetyMarginMs ?? 1000;
  if (!(renewEveryMs > 0 && renewEveryMs < leaseMs - safetyMarginMs)) {
    throw new RangeError('renewEveryMs must be positive and leave time to renew before the lease runs out');
  }
  if (!(retryWaitMs >= 0) || !(safetyMarginMs >= 0)) {
    throw new RangeError('retryWaitMs and safetyMarginMs must not be negative');
  }
  return { leaseSeconds, renewEveryMs, retryWaitMs, safetyMarginMs };
}

/**
 * Takes the lease on `locks/<functionName>` in the state container, creating the empty lock blob when it is
 * missing. Resolves to the held lock, or to undefined when another holder has the lease (the function is busy).
 * Errors other than "busy" (container missing, no permission, network) are thrown unchanged.
 */
export async function acquireFunctionLock(
  container: ContainerClient,
  functionName: string,
  options: FunctionLockOptions = {},
): Promise<FunctionLock | undefined> {
  const blobName = lockBlobName(functionName);
  const context = { store: 'blob' as const, name: functionName, container: container.containerName, blob: blobName };
  if (!FUNCTION_NAME.test(functionName)) {
    throw stateError('STATE_INVALID_NAME', `Function name ${JSON.stringify(functionName)} cannot name a lock`, context);
  }
  const { leaseSeconds, renewEveryMs, retryWaitMs, safetyMarginMs } = checkOptions(options);
  const now = options.now ?? Date.now;
  const blob = container.getBlockBlobClient(blobName);
  const lease = blob.getBlobLeaseClient();

  /** Requests the lease; false when someone else holds it. */
  const tryAcquire = async (): Promise<boolean> => {
    try {
      await lease.acquireLease(leaseSeconds);
      return true;
    } catch (err) {
      if (httpStatusOf(err) === 409 && serviceErrorCode(err) === 'LeaseAlreadyPresent') return false;
      throw err;
    }
  };

  // Measured before the request is sent, so the lease is never thought to last longer than it does.
  let heldUntil = now() + leaseSeconds * 1000;
  let acquired: boolean;
  try {
    acquired = await tryAcquire();
  } catch (err) {
    if (!(httpStatusOf(err) === 404 && serviceErrorCode(err) === 'BlobNotFound')) throw err;
    await createLockBlob(container, blobName);
    heldUntil = now() + leaseSeconds * 1000;
    acquired = await tryAcquire();
  }
  if (!acquired) return undefined;
  return startRenewing(lease, {
    functionName,
    blobName,
    context,
    leaseSeconds,
    renewEveryMs,
    retryWaitMs,
    safetyMarginMs,
    now,
    heldUntil,
    setTimer: options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms)),
    clearTimer: options.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>)),
  });
}

/**
 * Creates the empty lock blob only when absent. Losing that race to a concurrent creator (409 BlobAlreadyExists,
 * or 412 when the winner already leased it) is success: both go on to compete for the lease.
 */
async function createLockBlob(container: ContainerClient, blobName: string): Promise<void> {
  try {
    await container.getBlockBlobClient(blobName).upload(Buffer.alloc(0), 0, { conditions: { ifNoneMatch: '*' } });
  } catch (err) {
    const status = httpStatusOf(err);
    if (status !== 409 && status !== 412) throw err;
  }
}

interface RenewalSetup {
  functionName: string;
  blobName: string;
  context: { store: 'blob'; name: string; container: string; blob: string };
  leaseSeconds: number;
  renewEveryMs: number;
  retryWaitMs: number;
  safetyMarginMs: number;
  now: () => number;
  heldUntil: number;
  setTimer: (callback: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

function unref(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}

function startRenewing(lease: BlobLeaseClient, setup: RenewalSetup): FunctionLock {
  const { functionName, blobName, context, leaseSeconds, now, setTimer, clearTimer } = setup;
  const leaseMs = leaseSeconds * 1000;
  let heldUntil = setup.heldUntil;
  const lost = new AbortController();
  /** Aborts an in-flight renewal request or retry wait when the lock is released. */
  const stopping = new AbortController();
  let timer: unknown;
  let renewing: Promise<void> | undefined;
  let released: Promise<void> | undefined;

  const loseLease = (why: string, cause?: unknown): void => {
    if (lost.signal.aborted) return;
    const err: StateError = stateError(
      'STATE_LEASE_LOST',
      `Lock ${blobName} of ${functionName} is no longer held: ${why}`,
      { ...context, leaseId: lease.leaseId, status: httpStatusOf(cause), serviceCode: serviceErrorCode(cause) },
      cause,
    );
    lost.abort(err);
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const onStop = (): void => {
        clearTimer(handle);
        resolve();
      };
      const handle = setTimer(() => {
        stopping.signal.removeEventListener('abort', onStop);
        resolve();
      }, ms);
      unref(handle);
      stopping.signal.addEventListener('abort', onStop, { once: true });
    });

  /** Renews, retrying transient failures while the lease has time left; any other failure loses the lock. */
  const renew = async (): Promise<void> => {
    for (;;) {
      if (stopping.signal.aborted || lost.signal.aborted) return;
      const sentAt = now();
      const remaining = heldUntil - setup.safetyMarginMs - sentAt;
      if (remaining <= 0) {
        loseLease(`it ran out at ${new Date(heldUntil).toISOString()} before a renewal succeeded`);
        return;
      }
      try {
        // The request may not outlive the lease: an answer after that proves nothing about who holds it now.
        await lease.renewLease({ abortSignal: AbortSignal.any([stopping.signal, AbortSignal.timeout(remaining)]) });
        heldUntil = sentAt + leaseMs;
        return;
      } catch (err) {
        if (stopping.signal.aborted) return;
        if (!isTransient(err)) {
          loseLease(`the renewal was refused (${serviceErrorCode(err) ?? httpStatusOf(err) ?? 'error'})`, err);
          return;
        }
        await wait(Math.min(setup.retryWaitMs, Math.max(0, heldUntil - setup.safetyMarginMs - now())));
      }
    }
  };

  const schedule = (): void => {
    timer = setTimer(() => {
      timer = undefined;
      renewing = renew().finally(() => {
        renewing = undefined;
        if (!stopping.signal.aborted && !lost.signal.aborted) schedule();
      });
    }, setup.renewEveryMs);
    unref(timer);
  };
  schedule();

  const assertHeld = (): void => {
    if (released !== undefined) {
      throw stateError('STATE_LEASE_LOST', `Lock ${blobName} of ${functionName} was released`, {
        ...context,
        leaseId: lease.leaseId,
      });
    }
    if (!lost.signal.aborted && now() >= heldUntil) {
      loseLease(`it ran out at ${new Date(heldUntil).toISOString()} before a renewal succeeded`);
    }
    if (lost.signal.aborted) throw lost.signal.reason as StateError;
  };

  const release = (): Promise<void> => {
    released ??= (async () => {
      stopping.abort();
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
      // A renewal landing after the release would take the lease again, so let it settle first.
      await renewing;
      try {
        await lease.releaseLease();
      } catch (err) {
        // Expired and taken, broken, or the blob is gone: the lease is not ours any more, which is what release wants.
        const status = httpStatusOf(err);
        if (status !== 404 && status !== 409 && status !== 412) throw err;
      }
    })();
    return released;
  };

  return { functionName, blobName, leaseId: lease.leaseId, signal: lost.signal, assertHeld, release };
}
