import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { startStorageProxy } from '../support/storage-proxy.ts';
import { assertDelivered, publish, recordingLogger, testEnv, withStack } from './helpers.ts';

describe('dedupe state on a warm instance', () => {
  it('a run with nothing new reads no filter state; new content costs only its journal bytes', async () => {
    await withStack({ simulator: { data: { blobsPerContentType: 3 } } }, async (stack) => {
      const proxy = await startStorageProxy(stack.env.AzureWebJobsStorage as string);
      try {
        // The default sizing: a 39 MB generation, which a cold load would read whole.
        const env = testEnv(stack, {
          AzureWebJobsStorage: proxy.connectionString,
          BLOOM_FILTER_SIZE: '10000000',
        });
        await invokeManagementFunction('auditExchange', env, recordingLogger());
        const afterFirst = { ...proxy.blobBytes };
        assert.ok(afterFirst.written < 1_000_000, `a first run writes digests, not the filter (${afterFirst.written})`);

        await invokeManagementFunction('auditExchange', env, recordingLogger());
        const idleRead = proxy.blobBytes.read - afterFirst.read;
        assert.ok(idleRead <= 1_000_000, `a warm run with nothing new read ${idleRead} bytes of state`);

        await publish(stack, 'Audit.Exchange', 50);
        const before = { ...proxy.blobBytes };
        await invokeManagementFunction('auditExchange', env, recordingLogger());
        assert.ok(proxy.blobBytes.read - before.read <= 1_000_000, 'new content: no filter download either');
        assert.ok(proxy.blobBytes.written - before.written < 100_000, 'and only its digests written');
        assertDelivered(stack, ['Audit.Exchange']);
      } finally {
        await proxy.close();
      }
    });
  });
});
