import { createCredential, createTokenSource, scopeFor } from '../auth/index.ts';
import { readMessageTraceConfig, type Env } from '../config/index.ts';
import { runInvocation, type InvocationOptions } from '../invocation.ts';
import { createBlobStore, createCursorStore } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { createTraceClient } from './client.ts';
import { collectMessageTrace, MESSAGE_TRACE_FUNCTION } from './collector.ts';
import { openGraphBudget } from './graph-budget.ts';

/** One timer invocation of `messageTrace`, from settings to statistics. */
export async function invokeMessageTrace(
  env: Env,
  logger: Logger,
  options: InvocationOptions = {},
): Promise<RunStatistics> {
  const config = readMessageTraceConfig(env);
  const credential = createCredential(config.o365);
  return runInvocation(MESSAGE_TRACE_FUNCTION, config, env, logger, options, async (context) => {
    const tokens = createTokenSource(credential, scopeFor(config.resource), config.o365.authorityHost, {
      ...config.http,
      deadline: context.deadline,
    });
    const cursors = createCursorStore(context.state.table);
    const graphBudget =
      config.api === 'graph'
        ? await openGraphBudget({ cursors, limit: config.requestsPer5Minutes, budget: context.budget, logger })
        : undefined;
    const source = createTraceClient({
      api: config.api,
      url: config.url,
      tokens,
      http: config.http,
      ...(graphBudget === undefined ? {} : { rateLimiter: graphBudget.limiter }),
      budget: context.budget,
      onRequest: context.onRequest,
      onRetry: context.onRetry,
      onAttempt: context.onAttempt,
    });
    try {
      await collectMessageTrace({
        config,
        source,
        sink: context.sender,
        cursors,
        blobs: createBlobStore(context.state.container),
        logger,
        stats: context.stats,
        deadline: context.deadline,
        signal: context.signal,
        progress: context.progress,
      });
    } finally {
      await graphBudget?.close();
    }
  });
}
