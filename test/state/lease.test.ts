import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RestError, type BlobLeaseClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite } from '../support/azurite.ts';
import type { AzuriteHandle } from '../support/azurite.ts';
import {
  acquireFunctionLock,
  isLeaseLost,
  isStateError,
  lockBlobName,
  MIN_LEASE_SECONDS,
  openStateClients,
  type FunctionLock,
} from '../../shared/state/index.ts';

let azurite: AzuriteHandle;
let container: ContainerClient;
/** Locks still held when a test fails, released after all tests so nothing keeps renewing. */
const held: FunctionLock[] = [];

before(async () => {
  azurite = await startAzurite();
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: 'cursors',
    containerName: 'lease-state',
  });
  container = clients.container;
});

after(async () => {
  await Promise.allSettled(held.map((lock) => lock.release()));
  await azurite?.stop();
});

/** Acquires and expects to get the lock. */
async function mustAcquire(name: string, options?: Parameters<typeof acquireFunctionLock>[2]): Promise<FunctionLock> {
  const lock = await acquireFunctionLock(container, name, options);
  assert.ok(lock, `expected to acquire ${name}`);
  held.push(lock);
  return lock;
}

/**
 * Polls `attempt` until it returns a value. Gives up after `giveUpMs` so a failing test ends instead of polling
 * forever; that bound only stops the wait and asserts nothing about timing.
 */
async function eventually<T>(attempt: () => Promise<T | undefined>, everyMs = 250, giveUpMs = 45_000): Promise<T> {
  const giveUpAt = Date.now() + giveUpMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting after ${giveUpMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Waits for the lock's signal to abort. Polled with a referenced timer: the lock's own timers are unref'd, so
 * without it the test process would have nothing keeping it alive while the renewal runs.
 */
async function aborted(lock: FunctionLock): Promise<void> {
  await eventually(async () => (lock.signal.aborted ? true : undefined), 20, 10_000);
}

/** A raw lease on `name`'s lock blob, as a run killed mid-way leaves it: never renewed, never released. */
async function abandonedLease(name: string): Promise<BlobLeaseClient> {
  const blob = container.getBlockBlobClient(lockBlobName(name));
  await blob.upload(Buffer.alloc(0), 0);
  const lease = blob.getBlobLeaseClient();
  await lease.acquireLease(MIN_LEASE_SECONDS);
  return lease;
}

/**
 * The container with renewals of every lease client made from it failing `failures` times with `status` first.
 * Everything else goes to Azurite unchanged.
 */
function failingRenewals(failures: number, status: number): { container: ContainerClient; renewals: () => number } {
  let calls = 0;
  const wrapLease = (lease: BlobLeaseClient): BlobLeaseClient =>
    new Proxy(lease, {
      get(target, prop, receiver) {
        if (prop === 'renewLease') {
          return async (...args: Parameters<BlobLeaseClient['renewLease']>) => {
            calls += 1;
            if (calls <= failures) throw new RestError('injected failure', { statusCode: status });
            return target.renewLease(...args);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const wrapped = new Proxy(container, {
    get(target, prop, receiver) {
      if (prop === 'getBlockBlobClient') {
        return (name: string) => {
          const blob = target.getBlockBlobClient(name);
          return new Proxy(blob, {
            get(b, p, r) {
              if (p === 'getBlobLeaseClient') return (id?: string) => wrapLease(b.getBlobLeaseClient(id));
              const value: unknown = Reflect.get(b, p, r);
              return typeof value === 'function' ? value.bind(b) : value;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { container: wrapped, renewals: () => calls };
}

const leaseLost = (err: unknown): boolean => {
  assert.ok(isLeaseLost(err), `expected STATE_LEASE_LOST, got ${String(err)}`);
  assert.ok(isStateError(err));
  return true;
};

describe('function lock', () => {
  test('a second acquire while held finds the function busy; after release it is acquirable again', async () => {
    const first = await mustAcquire('busy-then-free');
    assert.equal(await acquireFunctionLock(container, 'busy-then-free'), undefined);
    assert.doesNotThrow(() => first.assertHeld());

    await first.release();
    await first.release(); // idempotent
    assert.throws(() => first.assertHeld(), leaseLost);
    assert.equal(first.signal.aborted, false, 'a release is not a lost lease');

    const second = await mustAcquire('busy-then-free');
    assert.notEqual(second.leaseId, first.leaseId);
    await second.release();
  });

  test('the lock blob is created empty under locks/ and reused', async () => {
    const lock = await mustAcquire('creates-blob');
    assert.equal(lock.blobName, 'locks/creates-blob');
    const props = await container.getBlockBlobClient('locks/creates-blob').getProperties();
    assert.equal(props.contentLength, 0);
    assert.equal(props.leaseState, 'leased');
    await lock.release();
    const again = await mustAcquire('creates-blob');
    await again.release();
    assert.equal((await container.getBlockBlobClient('locks/creates-blob').getProperties()).leaseState, 'available');
  });

  test('of concurrent acquires on a fresh name exactly one wins', async () => {
    for (const contenders of [2, 5]) {
      const name = `fresh-race-${contenders}`;
      const results = await Promise.all(Array.from({ length: contenders }, () => acquireFunctionLock(container, name)));
      const winners = results.filter((r): r is FunctionLock => r !== undefined);
      held.push(...winners);
      assert.equal(winners.length, 1, `${contenders} contenders: ${winners.length} winners`);
      await winners[0]?.release();
    }
  });

  test('a broken lease aborts the signal and stops the run from writing', { timeout: 20_000 }, async () => {
    const lock = await mustAcquire('broken', { renewEveryMs: 200 });
    await container.getBlockBlobClient(lockBlobName('broken')).getBlobLeaseClient().breakLease(0);
    await aborted(lock);
    assert.ok(leaseLost(lock.signal.reason));
    assert.match((lock.signal.reason as Error).message, /locks\/broken.*no longer held/);
    assert.throws(() => lock.assertHeld(), leaseLost);
    await lock.release(); // the broken lease is not ours; releasing it is not an error
    // The lock is free for the next run.
    await (await mustAcquire('broken')).release();
  });

  test('a lease taken over by another holder aborts the signal', { timeout: 20_000 }, async () => {
    const lock = await mustAcquire('taken', { renewEveryMs: 200 });
    const other = container.getBlockBlobClient(lockBlobName('taken')).getBlobLeaseClient();
    await container
      .getBlockBlobClient(lockBlobName('taken'))
      .getBlobLeaseClient(lock.leaseId)
      .changeLease(other.leaseId);
    await aborted(lock);
    assert.throws(() => lock.assertHeld(), leaseLost);
    await lock.release();
    assert.equal(await acquireFunctionLock(container, 'taken'), undefined, 'release must not free a lease it lost');
    await other.releaseLease();
  });

  test('transient renewal failures are retried within the lease', { timeout: 20_000 }, async () => {
    const flaky = failingRenewals(2, 503);
    const lock = await acquireFunctionLock(flaky.container, 'flaky', { renewEveryMs: 200, retryWaitMs: 50 });
    assert.ok(lock);
    held.push(lock);
    await eventually(async () => (flaky.renewals() >= 4 ? true : undefined), 50, 10_000);
    assert.equal(lock.signal.aborted, false, String(lock.signal.reason));
    assert.equal(await acquireFunctionLock(container, 'flaky'), undefined);
    await lock.release();
  });

  test('a refused renewal is not retried', { timeout: 20_000 }, async () => {
    const refusing = failingRenewals(1_000, 409);
    const lock = await acquireFunctionLock(refusing.container, 'refused', { renewEveryMs: 200, retryWaitMs: 50 });
    assert.ok(lock);
    held.push(lock);
    await aborted(lock);
    assert.equal(refusing.renewals(), 1);
    assert.equal((lock.signal.reason as { context: { status?: number } }).context.status, 409);
    await lock.release();
  });

  test('by the clock, a lease whose renewals did not get through counts as lost', async () => {
    let now = Date.now();
    const lock = await mustAcquire('clock', { leaseSeconds: 20, now: () => now });
    assert.doesNotThrow(() => lock.assertHeld());
    now += 19_999;
    assert.doesNotThrow(() => lock.assertHeld());
    now += 1;
    assert.throws(() => lock.assertHeld(), leaseLost);
    assert.equal(lock.signal.aborted, true);
    await lock.release();
  });

  test('refuses unusable names and lease durations Azure does not accept', async () => {
    await assert.rejects(
      acquireFunctionLock(container, 'a/b'),
      (err: unknown) => isStateError(err) && err.code === 'STATE_INVALID_NAME',
    );
    for (const leaseSeconds of [14, 61, 20.5]) {
      await assert.rejects(acquireFunctionLock(container, 'durations', { leaseSeconds }), RangeError);
    }
    await assert.rejects(
      acquireFunctionLock(container, 'durations', { leaseSeconds: 15, renewEveryMs: 15_000 }),
      RangeError,
    );
  });
});

// Each of these waits for a real lease to run out (Azure's shortest is 15 s), so they run side by side.
describe('function lock across the lease duration', { concurrency: true, timeout: 60_000 }, () => {
  test('a lock whose holder vanished becomes acquirable once its lease expires', async () => {
    await abandonedLease('vanished');
    assert.equal(await acquireFunctionLock(container, 'vanished'), undefined);
    const next = await eventually(() => acquireFunctionLock(container, 'vanished'));
    held.push(next);
    await next.release();
  });

  test('renewal keeps a lock held past its lease duration', async () => {
    const lock = await mustAcquire('renewed', { leaseSeconds: MIN_LEASE_SECONDS });
    // Taken after the lock and never renewed: once this one is free, the lock's first lease has run out too.
    const reference = await abandonedLease('renewed-reference');
    assert.equal(await acquireFunctionLock(container, 'renewed-reference'), undefined);
    const expired = await eventually(() => acquireFunctionLock(container, 'renewed-reference'));
    held.push(expired);

    assert.equal(await acquireFunctionLock(container, 'renewed'), undefined, 'the renewed lock must still be held');
    assert.equal(lock.signal.aborted, false, String(lock.signal.reason));
    assert.doesNotThrow(() => lock.assertHeld());
    await Promise.all([lock.release(), expired.release(), reference.releaseLease().catch(() => undefined)]);
  });
});
