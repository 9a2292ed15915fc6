import { randomUUID } from 'node:crypto';
import type { Reply } from '../http.ts';
import { jsonReply } from '../http.ts';
import { formatAadTimestamp } from '../time.ts';

/** OAuth error names Entra ID uses in the `error` field. */
export type AadErrorName =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'invalid_scope'
  | 'invalid_resource'
  | 'unsupported_grant_type'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * An Entra ID error response: `error`, `error_description` starting with `AADSTSnnnn:` and ending with trace,
 * correlation and timestamp lines, `error_codes`, and the ids again as fields.
 */
export function aadError(
  status: number,
  error: AadErrorName | string,
  code: number,
  text: string,
  context: { now: number; origin: string; correlationId?: string | undefined },
  headers: Record<string, string> = {},
): Reply {
  const traceId = randomUUID();
  const correlationId = context.correlationId ?? randomUUID();
  const timestamp = formatAadTimestamp(context.now);
  return jsonReply(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${context.origin}/error?code=${code}`,
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'x-ms-request-id': traceId, ...headers },
  );
}
