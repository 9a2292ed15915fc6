import { createCredential, createTokenSource, scopeFor } from '../auth/index.ts';
import { readManagementConfig, type Env } from '../config/index.ts';
import { runInvocation, type InvocationOptions } from '../invocation.ts';
import { createBlobStore, createCursorStore, createRetryList } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { ManagementClient } from './client.ts';
import { collectManagement } from './collector.ts';
import { MANAGEMENT_FUNCTIONS, type ManagementFunction } from './content-types.ts';
import { URI_RETRY_FUNCTION, retryFailedContent } from './uri-retry.ts';

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
  const fn = functionName === URI_RETRY_FUNCTION ? undefined : managementFunction(functionName);
  const config = readManagementConfig(env);
  const credential = createCredential(config.o365);
  return runInvocation(functionName, config, env, logger, options, async (context) => {
    const tokens = createTokenSource(credential, scopeFor(config.resource), config.o365.authorityHost, {
      ...config.http,
      deadline: context.deadline,
    });
    const client = new ManagementClient({
      apiUrl: config.apiUrl,
      tenantId: config.o365.tenantId,
      tokens,
      http: config.http,
      budget: context.budget,
      onRequest: context.onRequest,
      onRetry: context.onRetry,
      onAttempt: context.onAttempt,
    });
    const common = {
      config,
      client,
      sink: context.sender,
      blobs: createBlobStore(context.state.container),
      retries: createRetryList(context.state.table),
      logger,
      stats: context.stats,
      deadline: context.deadline,
      signal: context.signal,
      progress: context.progress,
    };
    if (fn === undefined) await retryFailedContent(common);
    else await collectManagement({ ...common, fn, cursors: createCursorStore(context.state.table) });
  });
}
