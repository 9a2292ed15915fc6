import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../support/azurite.ts';
import type { AzuriteHandle } from '../support/azurite.ts';
import {
  createCursorStore,
  createStateClients,
  ensureStateStorage,
  isStateConflict,
  isStateError,
  openStateClients,
} from '../../shared/state/index.ts';
import type { CursorStore, StateClients, StateErrorCode } from '../../shared/state/index.ts';

let azurite: AzuriteHandle;
let clients: StateClients;
let store: CursorStore;

/** Asserts that `promise` rejects with a state error of `code` naming `name`. */
async function rejectsWith(promise: Promise<unknown>, code: StateErrorCode, name: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isStateError(err), `expected a state error, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.context.name, name);
    return true;
  });
}

before(async () => {
  azurite = await startAzurite();
  clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: 'cursors',
    containerName: 'state',
  });
  store = createCursorStore(clients.table);
});

after(async () => {
  await azurite?.stop();
});

describe('cursor store', () => {
  test('a missing cursor loads as undefined', async () => {
    assert.equal(await store.load('never-written', { currentVersion: 1 }), undefined);
  });

  test('creates, loads and updates a cursor', async () => {
    const etag1 = await store.save('audit', { since: '2024-01-01T00:00:00Z', pages: 3 }, undefined, 1);
    const first = await store.load<{ since: string; pages: number }>('audit', { currentVersion: 1 });
    assert.ok(first);
    assert.deepEqual(first.value, { since: '2024-01-01T00:00:00Z', pages: 3 });
    assert.equal(first.etag, etag1);
    assert.equal(first.version, 1);
    assert.equal(first.storedVersion, 1);
    assert.ok(first.updatedAt instanceof Date && Math.abs(first.updatedAt.getTime() - Date.now()) < 60_000);

    const etag2 = await store.save('audit', { since: '2024-01-02T00:00:00Z', pages: 0 }, first.etag, 1);
    assert.notEqual(etag2, etag1);
    const second = await store.load('audit', { currentVersion: 1 });
    assert.deepEqual(second?.value, { since: '2024-01-02T00:00:00Z', pages: 0 });
    assert.equal(second?.etag, etag2);
  });

  test('a stale etag fails with STATE_CONFLICT and leaves the newer value', async () => {
    const etag1 = await store.save('trace', { n: 1 }, undefined, 1);
    await store.save('trace', { n: 2 }, etag1, 1);
    await rejectsWith(store.save('trace', { n: 3 }, etag1, 1), 'STATE_CONFLICT', 'trace');
    assert.deepEqual((await store.load('trace', { currentVersion: 1 }))?.value, { n: 2 });
  });

  test('creating a cursor that exists fails with STATE_CONFLICT', async () => {
    await store.save('created-twice', { n: 1 }, undefined, 1);
    await rejectsWith(store.save('created-twice', { n: 2 }, undefined, 1), 'STATE_CONFLICT', 'created-twice');
    assert.deepEqual((await store.load('created-twice', { currentVersion: 1 }))?.value, { n: 1 });
  });

  test('of two concurrent writers exactly one wins', async () => {
    const base = await store.save('race', { writer: 'none' }, undefined, 1);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((writer) => store.save('race', { writer }, base, 1)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 2);
    for (const r of lost) assert.ok(isStateConflict(r.reason));
    const winner = ['a', 'b', 'c'][results.findIndex((r) => r.status === 'fulfilled')];
    assert.deepEqual((await store.load('race', { currentVersion: 1 }))?.value, { writer: winner });

    const creations = await Promise.allSettled([1, 2].map((n) => store.save('race-create', { n }, undefined, 1)));
    assert.equal(creations.filter((r) => r.status === 'fulfilled').length, 1);
  });

  test('the upgrade hook converts an older version; the caller saves the result', async () => {
    await store.save('upgrade', { lastTime: 1700000000 }, undefined, 1);
    const calls: Array<[number, unknown]> = [];
    const upgrade = (from: number, raw: unknown): { since: string } => {
      calls.push([from, raw]);
      return { since: new Date((raw as { lastTime: number }).lastTime * 1000).toISOString() };
    };
    const loaded = await store.load('upgrade', { currentVersion: 2, upgrade });
    assert.deepEqual(calls, [[1, { lastTime: 1700000000 }]]);
    assert.ok(loaded);
    assert.deepEqual(loaded.value, { since: '2023-11-14T22:13:20.000Z' });
    assert.equal(loaded.version, 2);
    assert.equal(loaded.storedVersion, 1);

    await store.save('upgrade', loaded.value, loaded.etag, loaded.version);
    const again = await store.load('upgrade', { currentVersion: 2, upgrade });
    assert.equal(calls.length, 1);
    assert.equal(again?.storedVersion, 2);
  });

  test('an older version without upgrade hook, or a failing hook, is refused', async () => {
    await store.save('no-upgrade', { x: 1 }, undefined, 1);
    await rejectsWith(store.load('no-upgrade', { currentVersion: 2 }), 'STATE_UPGRADE_FAILED', 'no-upgrade');
    const failing = (): never => {
      throw new Error('unknown layout');
    };
    await assert.rejects(store.load('no-upgrade', { currentVersion: 2, upgrade: failing }), /unknown layout/);
  });

  test('a version newer than the code knows is refused, not downgraded', async () => {
    await store.save('from-future', { shape: 'v5' }, undefined, 5);
    await assert.rejects(store.load('from-future', { currentVersion: 3, upgrade: () => ({}) }), (err: unknown) => {
      assert.ok(isStateError(err));
      assert.equal(err.code, 'STATE_VERSION_UNSUPPORTED');
      assert.equal(err.context.storedVersion, 5);
      assert.equal(err.context.currentVersion, 3);
      assert.match(err.message, /version 5, newer than version 3/);
      return true;
    });
    assert.equal((await store.load('from-future', { currentVersion: 5 }))?.storedVersion, 5);
  });

  test('large JSON is split over several properties and reassembled; a smaller value drops old parts', async () => {
    // Surrogate pairs and multi-byte text across the part boundaries, about 400,000 characters once escaped.
    const items = Array.from({ length: 6000 }, (_, i) => ({ id: `item-${i}`, note: `Grüße 😀 ${'x'.repeat(i % 13)}` }));
    const value = { items, tail: '😀'.repeat(2_000) };
    const etag = await store.save('large', value, undefined, 1);
    const raw = await clients.table.getEntity<Record<string, unknown>>('cursor', 'large');
    const parts = raw.parts as number;
    assert.ok(parts >= 9, `expected several parts, got ${parts}`);
    for (let i = 0; i < parts; i++) assert.match(raw[`data${i}`] as string, /^[\x20-\x7e]+$/, 'stored as ASCII');
    const loaded = await store.load<typeof value>('large', { currentVersion: 1 });
    // Compare the serialised forms: a failing deep-equal of this value would print megabytes.
    assert.ok(JSON.stringify(loaded?.value) === JSON.stringify(value), 'large value round-trips');

    await store.save('large', { small: true }, etag, 1);
    const shrunk = await clients.table.getEntity<Record<string, unknown>>('cursor', 'large');
    assert.equal(shrunk.parts, 1);
    assert.equal(shrunk.data1, undefined);
    assert.deepEqual((await store.load('large', { currentVersion: 1 }))?.value, { small: true });
  });

  test('a value beyond the entity limit is refused before writing', async () => {
    const value = { blob: 'a'.repeat(600_000) };
    await rejectsWith(store.save('too-large', value, undefined, 1), 'STATE_TOO_LARGE', 'too-large');
    assert.equal(await store.load('too-large', { currentVersion: 1 }), undefined);
  });

  test('remove honours the etag and reports whether something was removed', async () => {
    const etag1 = await store.save('reset-me', { n: 1 }, undefined, 1);
    await store.save('reset-me', { n: 2 }, etag1, 1);
    await rejectsWith(store.remove('reset-me', etag1), 'STATE_CONFLICT', 'reset-me');
    const current = await store.load('reset-me', { currentVersion: 1 });
    assert.equal(await store.remove('reset-me', current?.etag), true);
    assert.equal(await store.remove('reset-me'), false);
    assert.equal(await store.load('reset-me', { currentVersion: 1 }), undefined);
    // An update racing a reset must not resurrect the cursor.
    await rejectsWith(store.save('reset-me', { n: 3 }, current?.etag, 1), 'STATE_CONFLICT', 'reset-me');
  });

  test('names that cannot be row keys and corrupt entities give clear errors', async () => {
    await rejectsWith(store.load('a/b', { currentVersion: 1 }), 'STATE_INVALID_NAME', 'a/b');
    await rejectsWith(store.save('', {}, undefined, 1), 'STATE_INVALID_NAME', '');
    await clients.table.createEntity({
      partitionKey: 'cursor',
      rowKey: 'corrupt',
      version: 1,
      parts: 2,
      data0: '{"a":',
    });
    await rejectsWith(store.load('corrupt', { currentVersion: 1 }), 'STATE_CORRUPT', 'corrupt');
  });

  test('a missing table is an error, not an empty state', async () => {
    const { table } = createStateClients({
      kind: 'connectionString',
      connectionString: azurite.connectionString,
      tableName: 'nevercreated',
      containerName: 'state',
    });
    const orphan = createCursorStore(table);
    await assert.rejects(orphan.load('audit', { currentVersion: 1 }), (err: unknown) => {
      assert.equal((err as { statusCode?: number }).statusCode, 404);
      assert.equal(isStateError(err), false);
      return true;
    });
    await assert.rejects(orphan.remove('audit'), (err: unknown) => !isStateError(err));
  });

  test('cursors in different partitions do not collide', async () => {
    const other = createCursorStore(clients.table, { partitionKey: 'other' });
    await other.save('audit', { mine: true }, undefined, 1);
    assert.deepEqual((await other.load('audit', { currentVersion: 1 }))?.value, { mine: true });
    assert.notDeepEqual((await store.load('audit', { currentVersion: 1 }))?.value, { mine: true });
  });
});

describe('state storage setup', () => {
  test('creating table and container is idempotent and tolerates them existing already', async () => {
    const settings = {
      kind: 'connectionString' as const,
      connectionString: azurite.connectionString,
      tableName: 'precreated',
      containerName: 'precreated',
    };
    // Someone else (another instance, or the deployment) created them first.
    await TableClient.fromConnectionString(azurite.connectionString, 'precreated', {
      allowInsecureConnection: true,
    }).createTable();
    const first = createStateClients(settings);
    await first.container.create();
    await Promise.all([ensureStateStorage(first), ensureStateStorage(createStateClients(settings))]);
    await ensureStateStorage(first);
    assert.equal(await first.container.exists(), true);
    await createCursorStore(first.table).save('probe', { ok: true }, undefined, 1);
  });
});
