import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { startAzurite, type AzuriteHandle } from '../support/azurite.ts';
import type { TableClient } from '@azure/data-tables';
import {
  createRetryList,
  decodeKeyPart,
  encodeKeyPart,
  openStateClients,
  refusedInKey,
  retryRowKey,
  type RetryList,
} from '../../shared/state/index.ts';

let azurite: AzuriteHandle;
let retries: RetryList;
let table: TableClient;

let tables = 0;

before(async () => {
  azurite = await startAzurite();
});
// A table of its own for every test, so none sees another's entries and each passes alone and in any order.
beforeEach(async () => {
  tables += 1;
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: `retries${tables}`,
    containerName: 'state',
  });
  table = clients.table;
  retries = createRetryList(clients.table);
});
after(() => azurite.stop());

const blob = (contentId: string, functionName = 'auditExchange') => ({
  functionName,
  contentType: functionName === 'dlpAll' ? 'DLP.All' : 'Audit.Exchange',
  contentId,
  contentUri: `https://manage.office.com/api/v1.0/t/activity/feed/audit/${contentId}`,
  contentCreated: `2026-11-2${contentId.length % 10}T00:00:00.000Z`,
  contentExpiration: '2026-11-29T00:00:00.000Z',
  lastError: 'HTTP 500',
});

test('records failures, counts attempts and keeps the first failure time', async () => {
  await retries.recordFailure(blob('a$b/c#1'), new Date('2026-11-21T00:00:00Z'));
  await retries.recordFailure(blob('a$b/c#1'), new Date('2026-11-21T01:00:00Z'));
  const [entry, ...rest] = await retries.list();
  assert.equal(rest.length, 0);
  assert.equal(entry?.attempts, 2);
  assert.equal(entry?.contentId, 'a$b/c#1');
  assert.equal(entry?.firstFailedAt, '2026-11-21T00:00:00.000Z');
});

test('removes entries and clears one function only', async () => {
  await retries.recordFailure(blob('a$b/c#1'), new Date());
  await retries.recordFailure(blob('x1', 'dlpAll'), new Date());
  await retries.recordFailure(blob('x22', 'dlpAll'), new Date());
  assert.equal((await retries.list()).length, 3);
  await retries.remove(blob('a$b/c#1'));
  await retries.remove(blob('a$b/c#1'));
  assert.deepEqual((await retries.list()).map((e) => e.contentId).sort(), ['x1', 'x22'], 'removing twice is harmless');
  assert.equal(await retries.clear('dlpAll'), 2);
  assert.deepEqual(await retries.list(), []);
});

test('row keys avoid the characters Table storage refuses, reversibly', () => {
  assert.equal(retryRowKey('Audit.Exchange', 'a/b\\c#d?e'), 'Audit.Exchange__a%2Fb%5Cc%23d%3Fe');
  assert.notEqual(retryRowKey('Audit.Exchange', 'a/b'), retryRowKey('Audit.Exchange', 'a#b'));
  for (const id of ['a/b\\c#d?e', '$x$y$', 'tab\there\u0000\u001f\u007f\u009f', '100%/%2F', 'plain']) {
    assert.equal(decodeKeyPart(encodeKeyPart(id)), id);
    assert.ok(![...encodeKeyPart(id)].some(refusedInKey), `${JSON.stringify(id)} encodes to a usable key`);
  }
});

test('two content IDs that differ only in refused characters keep separate entries', async () => {
  await retries.recordFailure(blob('k/1'), new Date());
  await retries.recordFailure(blob('k#1'), new Date());
  const ids = (await retries.list()).map((e) => e.contentId);
  assert.deepEqual(ids.sort(), ['k#1', 'k/1']);
  for (const id of ids) await retries.remove(blob(id));
  assert.deepEqual(await retries.list(), []);
});

test('an entry written under the earlier lossy key is moved to the reversible key and can be removed', async () => {
  const old = blob('old/key#1');
  await table.upsertEntity(
    { partitionKey: 'retry', rowKey: 'Audit.Exchange__old_key_1', ...old, attempts: 3, firstFailedAt: 'x' },
    'Replace',
  );
  const [entry, ...others] = await retries.list();
  assert.deepEqual(others, []);
  assert.equal(entry?.contentId, old.contentId);
  assert.equal(entry?.attempts, 3, 'its history is kept');
  await retries.remove(old);
  assert.deepEqual(await retries.list(), [], 'nothing is left under either key');
  const rows: unknown[] = [];
  for await (const row of table.listEntities()) rows.push(row);
  assert.deepEqual(rows, [], 'no row is left in the table');
});
