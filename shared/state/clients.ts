import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { ContainerClient } from '@azure/storage-blob';
import { lazyCredential } from '../auth/lazy-identity.ts';
import type { StorageSettings } from '../config/settings-types.ts';

/**
 * Bound on one blob request attempt (the SDK sets none): a stalled transfer of a large state blob is retried
 * instead of hanging until the function times out.
 */
const BLOB_TRY_TIMEOUT_MS = 120_000;

/** SDK clients for the cursor table and the blob container holding binary state. */
export interface StateClients {
  table: TableClient;
  container: ContainerClient;
}

export interface StateClientOptions {
  /**
   * Credential for the identity form; defaults to the managed identity named by `settings.clientId`
   * (system-assigned when absent). Only meant for tools and tests that must authenticate differently.
   */
  credential?: TokenCredential;
}

/** Splits `k=v;k=v` into a map with lower-cased keys (values keep `=`, e.g. base64 keys). */
export function parseConnectionString(connectionString: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return fields;
}

/**
 * Whether the table endpoint of a connection string is plain http (Azurite). The Table SDK refuses http unless
 * told otherwise; the blob SDK accepts it with shared key. TLS verification itself is never touched.
 */
export function usesHttpTableEndpoint(connectionString: string): boolean {
  const fields = parseConnectionString(connectionString);
  if (fields.get('usedevelopmentstorage')?.toLowerCase() === 'true') return true;
  const endpoint = fields.get('tableendpoint');
  if (endpoint !== undefined) return endpoint.toLowerCase().startsWith('http://');
  return fields.get('defaultendpointsprotocol')?.toLowerCase() === 'http';
}

/**
 * Builds the clients without any network call. The identity form uses `ManagedIdentityCredential` rather than
 * `DefaultAzureCredential`: in Azure the only valid source is the function app's managed identity, and probing
 * environment, CLI or developer credentials first would slow cold starts and could silently pick up the wrong
 * principal. Local development uses the connection-string form, which never loads @azure/identity at all.
 */
export function createStateClients(settings: StorageSettings, options: StateClientOptions = {}): StateClients {
  const blobOptions = { retryOptions: { tryTimeoutInMs: BLOB_TRY_TIMEOUT_MS } };
  if (settings.kind === 'connectionString') {
    const { connectionString } = settings;
    const table = TableClient.fromConnectionString(connectionString, settings.tableName, {
      allowInsecureConnection: usesHttpTableEndpoint(connectionString),
    });
    const container = BlobServiceClient.fromConnectionString(connectionString, blobOptions).getContainerClient(
      settings.containerName,
    );
    return { table, container };
  }
  const { clientId } = settings;
  const credential =
    options.credential ??
    lazyCredential((identity) =>
      clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential(),
    );
  const table = new TableClient(settings.tableServiceUri, settings.tableName, credential);
  const container = new BlobServiceClient(settings.blobServiceUri, credential, blobOptions).getContainerClient(
    settings.containerName,
  );
  return { table, container };
}

/** One creation attempt per table/container per process; a failed attempt is forgotten so the next call retries. */
const ensured = new Map<string, Promise<void>>();

function once(key: string, create: () => Promise<unknown>): Promise<void> {
  let pending = ensured.get(key);
  if (!pending) {
    pending = create().then(
      () => undefined,
      (err: unknown) => {
        ensured.delete(key);
        throw err;
      },
    );
    ensured.set(key, pending);
  }
  return pending;
}

/**
 * Creates the table and the container when missing. Idempotent and cheap after the first call in a process;
 * both SDK calls already treat "already exists" (including a concurrent creator winning) as success.
 */
export async function ensureStateStorage(clients: StateClients): Promise<void> {
  await Promise.all([
    once(`table:${clients.table.url}/${clients.table.tableName}`, () => clients.table.createTable()),
    once(`container:${clients.container.url}`, () => clients.container.createIfNotExists()),
  ]);
}

/** `createStateClients` followed by `ensureStateStorage`. */
export async function openStateClients(
  settings: StorageSettings,
  options: StateClientOptions = {},
): Promise<StateClients> {
  const clients = createStateClients(settings, options);
  await ensureStateStorage(clients);
  return clients;
}
