import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startAzurite, type AzuriteHandle } from '../support/azurite.ts';
import { createRetryList, openStateClients, retryRowKey, type RetryList } from '../../shared/state/index.ts';

let azurite: AzuriteHandle;
let retries: RetryList;

before(async () => {
  azurite = await startAzurite();
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: azurite.connectionString,
    tableName: 'retries',
    containerName: 'state',
  });
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
  await retries.recordFailure(blob('x1', 'dlpAll'), new Date());
  await retries.recordFailure(blob('x22', 'dlpAll'), new Date());
  assert.equal((await retries.list()).length, 3);
  await retries.remove(blob('a$b/c#1'));
  await retries.remove(blob('a$b/c#1'));
  assert.equal(await retries.clear('dlpAll'), 2);
  assert.deepEqual(await retries.list(), []);
});

test('row keys avoid the characters Table storage refuses', () => {
  assert.equal(retryRowKey('Audit.Exchange', 'a/b\\c#d?e'), 'Audit.Exchange__a_b_c_d_e');
});
