/** Message trace variants of the reply-rewriting faults. */
import type { Reply, RequestContext } from '../http.ts';
import { encodeSkipToken } from './graph.ts';

/**
 * Points the next-page link of a successful Graph or RWS JSON light page at another host (adding one when the page
 * had none), keeping path and query. Other replies pass unchanged.
 */
export function foreignTraceNextLink(reply: Reply, req: RequestContext, foreignOrigin: string): Reply {
  if (reply.status !== 200 || typeof reply.body !== 'string') return reply;
  const body = JSON.parse(reply.body) as Record<string, unknown>;
  const key = '@odata.context' in body ? '@odata.nextLink' : 'odata.metadata' in body ? 'odata.nextLink' : undefined;
  if (key === undefined) return reply;
  const current = body[key];
  const next =
    typeof current === 'string'
      ? new URL(current, req.url.href)
      : new URL(
          `${req.url.pathname}?$skiptoken=${key === '@odata.nextLink' ? encodeSkipToken({ offset: 1, queriedAt: req.now, version: 0 }) : '1'}`,
          req.url.href,
        );
  body[key] = new URL(`${next.pathname}${next.search}`, foreignOrigin).href;
  return { ...reply, body: JSON.stringify(body) };
}
