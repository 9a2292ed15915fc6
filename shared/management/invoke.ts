import { createCredential, createTokenSource, scopeFor } from '../auth/index.ts';
import { readManagementConfig, type Env } from '../config/index.ts';
import { DevoSender } from '../devo/index.ts';
import { createBlobStore, createCursorStore, createRetryList, openStateClients } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { emptyStatistics, summaryLine, type RunStatistics } from '../telemetry/statistics.ts';
import { ManagementClient } from './client.ts';
import { collectManagement } from './collector.ts';
import { MANAGEMENT_FUNCTIONS, type ManagementFunction } from './content-types.ts';
import { URI_RETRY_FUNCTION, retryFailedContent } from './uri-retry.ts';

export interface InvocationOptions {
  /** When the invocation started (ms since epoch); the time budget counts from here. */
  startedAt?: number;
}

/** Stop starting new work this long before the host's functionTimeout: at least a minute, or 15% of it. */
export function workDeadline(startedAt: number, functionTimeoutMs: number): number {
  return startedAt + functionTimeoutMs - Math.max(60_000, functionTimeoutMs * 0.15);
}

export function managementFunction(functionName: string): ManagementFunction {
  const fn = MANAGEMENT_FUNCTIONS.find((f) => f.functionName === functionName);
  if (fn === undefined) throw new Error(`Unknown Management function ${functionName}`);
  return fn;
}

/**
 * One timer invocation of a Management function (or of `uriRetry`), from settings to statistics. Settings are read and
 * checked first, so a bad setting fails the invocation with its InitVariablesError before anything is contacted.
 */
export async function invokeManagementFunction(
  functionName: string,
  env: Env,
  logger: Logger,
  options: InvocationOptions = {},
): Promise<RunStatistics> {
  const startedAt = options.startedAt ?? Date.now();
  const fn = functionName === URI_RETRY_FUNCTION ? undefined : managementFunction(functionName);
  const config = readManagementConfig(env);
  const stats = emptyStatistics();
  const tokens = createTokenSource(createCredential(config.o365), scopeFor(config.resource), config.o365.authorityHost);
  const client = new ManagementClient({
    apiUrl: config.apiUrl,
    tenantId: config.o365.tenantId,
    tokens,
    http: config.http,
    onRequest: () => {
      stats.requests += 1;
    },
    onRetry: (event) => {
      stats.retries += 1;
      if (event.statusCode === 429 || event.statusCode === 403) stats.throttled += 1;
      logger.warn(
        `${functionName}: retry ${event.attempt} of ${event.url} in ${event.delayMs} ms (${event.statusCode ?? event.errorCode}).`,
      );
    },
  });
  const stateClients = await openStateClients(config.storage);
  const sender = new DevoSender(config.devo);
  const common = {
    config,
    client,
    sink: sender,
    blobs: createBlobStore(stateClients.container),
    retries: createRetryList(stateClients.table),
    logger,
    stats,
    deadline: workDeadline(startedAt, config.functionTimeoutMs),
  };
  try {
    if (fn === undefined) await retryFailedContent(common);
    else await collectManagement({ ...common, fn, cursors: createCursorStore(stateClients.table) });
  } finally {
    await sender
      .close()
      .catch((err: unknown) => logger.warn(`${functionName}: Devo connection did not close cleanly: ${String(err)}`));
    logger.info(summaryLine(functionName, stats, Date.now() - startedAt));
  }
  return stats;
}
