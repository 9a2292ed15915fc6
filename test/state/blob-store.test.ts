import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startAzurite } from '../support/azurite.ts';
import type { AzuriteHandle } from '../support/azurite.ts';
import {
  createBlobStore,
  createStateClients,
  isStateConflict,
  isStateError,
  openStateClients,
} from '../../shared/state/index.ts';
import type { BlobStore } from '../../shared/state/index.ts';

/** Not the 39 MB of the default filter: big enough for the SDK to stream it in many pieces. */
const BLOOM_BYTES = 4 * 1024 * 1024 + 17;

let azurite: AzuriteHandle;
let store: BlobStore;

function conflictOn(name: string) {
  return (err: unknown): boolean => {
    assert.ok(isStateConflict(err), `expected STATE_CONFLICT, got ${String(err)}`);
    assert.equal(err.context.name, name);
    assert.equal(err.context.store, 'blob');
    return true;
  };
}

before(async () => {
  azurite = await startAzurite();
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: 'cursors',
    containerName: 'bloom-state',
  });
  store = createBlobStore(clients.container);
});

after(async () => {
  await azurite?.stop();
});

describe('blob store', () => {
  test('a missing blob loads as undefined', async () => {
    assert.equal(await store.load('absent.bin'), undefined);
  });

  test('round-trips a Bloom-filter-sized blob written as header + bit array chunks, then replaces it', async () => {
    // A few MiB is enough to prove the chunks are stored in order and whole; how fast the full 39 MB default
    // filter saves and loads is measured by `npm run bench` (tools/bench/state.ts), not here.
    const header = Buffer.from('BLOOM\x01 header with sizes and hash seeds');
    const bits = randomFillSync(Buffer.allocUnsafe(BLOOM_BYTES));
    const expectedLength = header.length + bits.length;

    let etag: string | undefined;
    for (let round = 1; round <= 2; round++) {
      bits.writeUInt32LE(round, 0); // each round stores different content
      const previous = etag;
      etag = await store.save('audit.bloom', [header, bits], etag);
      assert.notEqual(etag, previous);
      const loaded = await store.load('audit.bloom');
      assert.ok(loaded);
      assert.equal(loaded.etag, etag);
      assert.equal(loaded.data.length, expectedLength);
      assert.ok(loaded.data.subarray(0, header.length).equals(header), 'header intact');
      assert.ok(loaded.data.subarray(header.length).equals(bits), `bit array intact in round ${round}`);
    }
  });

  test('a plain Buffer, a Uint8Array view and an empty blob are stored exactly', async () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = backing.subarray(2, 5);
    const etag = await store.save('view.bin', view, undefined);
    assert.deepEqual([...(await store.load('view.bin'))!.data], [1, 2, 3]);
    await store.save('view.bin', Buffer.from('replaced'), etag);
    assert.equal((await store.load('view.bin'))?.data.toString(), 'replaced');
    await store.save('empty.bin', [], undefined);
    assert.equal((await store.load('empty.bin'))?.data.length, 0);
  });

  test('conditional writes: create-only and stale etags fail with STATE_CONFLICT', async () => {
    const etag1 = await store.save('cond.bin', Buffer.from('one'), undefined);
    await assert.rejects(store.save('cond.bin', Buffer.from('again'), undefined), conflictOn('cond.bin'));
    const etag2 = await store.save('cond.bin', Buffer.from('two'), etag1);
    assert.notEqual(etag2, etag1);
    await assert.rejects(store.save('cond.bin', Buffer.from('stale'), etag1), conflictOn('cond.bin'));
    assert.equal((await store.load('cond.bin'))?.data.toString(), 'two');
  });

  test('of two concurrent writers exactly one wins and its bytes are stored', async () => {
    const base = await store.save('race.bin', Buffer.from('base'), undefined);
    const writers = ['left', 'right'].map((w) => Buffer.alloc(4 * 1024 * 1024, w));
    const results = await Promise.allSettled(writers.map((data) => store.save('race.bin', data, base)));
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    assert.equal(winners.length, 1);
    const loser = results.find((r) => r.status === 'rejected');
    assert.ok(loser && isStateConflict(loser.reason));
    assert.ok((await store.load('race.bin'))?.data.equals(writers[winners[0]!]!));

    const creations = await Promise.allSettled(writers.map((data) => store.save('race-create.bin', data, undefined)));
    assert.equal(creations.filter((r) => r.status === 'fulfilled').length, 1);
  });

  test('remove honours the etag and reports whether something was removed', async () => {
    const etag1 = await store.save('gone.bin', Buffer.from('x'), undefined);
    const etag2 = await store.save('gone.bin', Buffer.from('y'), etag1);
    await assert.rejects(store.remove('gone.bin', etag1), conflictOn('gone.bin'));
    assert.equal(await store.remove('gone.bin', etag2), true);
    assert.equal(await store.remove('gone.bin'), false);
    assert.equal(await store.load('gone.bin'), undefined);
    // A replace racing a reset must not resurrect the blob.
    await assert.rejects(store.save('gone.bin', Buffer.from('z'), etag2), conflictOn('gone.bin'));
  });

  test('a missing container is an error, not an empty state', async () => {
    const { container } = createStateClients({
      kind: 'connectionString',
      connectionString: azurite.connectionString,
      tableName: 'cursors',
      containerName: 'never-created',
    });
    const orphan = createBlobStore(container);
    await assert.rejects(orphan.load('audit.bloom'), (err: unknown) => {
      assert.equal((err as { statusCode?: number }).statusCode, 404);
      assert.equal(isStateError(err), false);
      return true;
    });
    await assert.rejects(
      orphan.save('audit.bloom', Buffer.from('x'), '"0x1"'),
      (err: unknown) => !isStateConflict(err),
    );
  });

  test('unusable names are refused with STATE_INVALID_NAME', async () => {
    await assert.rejects(store.load(''), (err: unknown) => isStateError(err) && err.code === 'STATE_INVALID_NAME');
  });
});
