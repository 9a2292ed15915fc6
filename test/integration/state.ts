import {
  createBlobStore,
  createCursorStore,
  createRetryList,
  lockBlobName,
  openStateClients,
} from '../../shared/state/index.ts';
import type { LocalStack } from '../../tools/local/stack.ts';

/** The collectors' saved state on the stack's Azurite, as the product's own stores read it. */
export async function stateOf(stack: LocalStack) {
  const clients = await openStateClients({
    kind: 'connectionString',
    connectionString: stack.env.AzureWebJobsStorage as string,
    tableName: 'o365devostate',
    containerName: 'o365devo-state',
  });
  return {
    retries: createRetryList(clients.table),
    cursors: createCursorStore(clients.table),
    blobs: createBlobStore(clients.container),
    container: clients.container,
  };
}

/** How many times each message arrived at the receiver. */
export function arrivals(stack: LocalStack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stack.receiver.lines) counts.set(line.message, (counts.get(line.message) ?? 0) + 1);
  return counts;
}

/**
 * Frees the lock a killed run left behind, as its lease running out (at most 30 s) would: the rerun that follows a
 * kill then need not wait for it.
 */
export async function expireLockOf(stack: LocalStack, functionName: string): Promise<void> {
  const { container } = await stateOf(stack);
  try {
    await container.getBlobClient(lockBlobName(functionName)).getBlobLeaseClient().breakLease(0);
  } catch (err) {
    // Killed before it took the lock: there is nothing to free.
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw err;
  }
}
