import { createCredential, createTokenSource, scopeFor } from '../auth/index.ts';
import { readMessageTraceConfig, type Env } from '../config/index.ts';
import { DevoSender } from '../devo/index.ts';
import { workDeadline } from '../management/invoke.ts';
import { createBlobStore, createCursorStore, openStateClients } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { emptyStatistics, summaryLine, type RunStatistics } from '../telemetry/statistics.ts';
import { createTraceClient } from './client.ts';
import { collectMessageTrace, MESSAGE_TRACE_FUNCTION } from './collector.ts';

/** One timer invocation of `messageTrace`, from settings to statistics. */
export async function invokeMessageTrace(env: Env, logger: Logger, startedAt = Date.now()): Promise<RunStatistics> {
  const config = readMessageTraceConfig(env);
  const stats = emptyStatistics();
  const tokens = createTokenSource(createCredential(config.o365), scopeFor(config.resource), config.o365.authorityHost);
  const source = createTraceClient({
    api: config.api,
    url: config.url,
    tokens,
    http: config.http,
    requestsPer5Minutes: config.requestsPer5Minutes,
    onRequest: () => {
      stats.requests += 1;
    },
    onRetry: (event) => {
      stats.retries += 1;
      if (event.statusCode === 429) stats.throttled += 1;
      logger.warn(
        `${MESSAGE_TRACE_FUNCTION}: retry ${event.attempt} of ${event.url} in ${event.delayMs} ms (${event.statusCode ?? event.errorCode}).`,
      );
    },
  });
  const state = await openStateClients(config.storage);
  const sender = new DevoSender(config.devo);
  try {
    await collectMessageTrace({
      config,
      source,
      sink: sender,
      cursors: createCursorStore(state.table),
      blobs: createBlobStore(state.container),
      logger,
      stats,
      deadline: workDeadline(startedAt, config.functionTimeoutMs),
    });
  } finally {
    await sender
      .close()
      .catch((err: unknown) =>
        logger.warn(`${MESSAGE_TRACE_FUNCTION}: Devo connection did not close cleanly: ${String(err)}`),
      );
    logger.info(summaryLine(MESSAGE_TRACE_FUNCTION, stats, Date.now() - startedAt));
  }
  return stats;
}
