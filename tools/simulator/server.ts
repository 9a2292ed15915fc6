import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RouteMatch, SimContext } from './context.ts';
import { aadError } from './entra/errors.ts';
import { matchEntra } from './entra/routes.ts';
import type { FaultSpec, TakenFault } from './faults.ts';
import type { Reply, RequestContext } from './http.ts';
import { afError, jsonReply, queryView, rawJsonReply, readBody } from './http.ts';
import { poisonDescriptor, poisonListing } from './management/poison.ts';
import { encodePageToken } from './management/window.ts';
import { expired, matchManagement, throttleMessage } from './management/routes.ts';
import { traceFaultReply } from './trace/errors.ts';
import { foreignTraceNextLink } from './trace/faults.ts';
import { matchGraph } from './trace/graph.ts';
import { matchRws } from './trace/rws.ts';
import { bodyDisturbance, writeReply } from './wire.ts';

const DEFAULT_FOREIGN_ORIGIN = 'https://foreign.example.invalid';

/** Decodes one path segment; a bad escape is kept as sent (the route then simply does not match). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function notFound(): RouteMatch {
  return {
    route: 'unknown',
    family: 'management',
    handle: () => jsonReply(404, { Message: 'No HTTP resource was found that matches the request URI.' }),
  };
}

/** What the front end answers when the service is down: an HTML page, not JSON. */
function serviceUnavailable(): Reply {
  return {
    status: 503,
    headers: { 'content-type': 'text/html; charset=us-ascii' },
    body: '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2><p>HTTP Error 503. The service is unavailable.</p></body></html>',
  };
}

/** What a front end or proxy sometimes answers with status 200: an error page instead of the API's JSON. */
function htmlPage(body: string | undefined): Reply {
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body:
      body ??
      '<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1><p>The request could not be processed. Please try again later.</p></body></html>',
  };
}

/** The reply a fault puts in place of the real one, for faults that replace it. */
function replacement(
  spec: Readonly<FaultSpec>,
  match: RouteMatch,
  req: RequestContext,
  sim: SimContext,
): Reply | undefined {
  if (spec.kind === 'html-200') return htmlPage(spec.body);
  if (spec.kind === 'non-json-200') return rawJsonReply(200, spec.body ?? 'OK');
  if (match.family === 'graph' || match.family === 'rws') {
    return spec.kind === '503'
      ? serviceUnavailable()
      : traceFaultReply(match.family, spec, req, sim.trace.settings.rwsShape);
  }
  const entra = match.family === 'entra';
  const aad = (
    status: number,
    error: string,
    code: number,
    text: string,
    headers: Record<string, string> = {},
  ): Reply => aadError(status, error, code, text, { now: req.now, origin: sim.origin }, headers);
  const throttled = (status: number, headers: Record<string, string> = {}): Reply =>
    entra
      ? aad(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', headers)
      : afError(status, 'AF429', throttleMessage(match.route, req), headers);
  switch (spec.kind) {
    case '429':
      return throttled(429, { 'retry-after': String(spec.retryAfterSeconds ?? 1) });
    case 'af429-403':
      return throttled(403);
    case '500':
      return entra
        ? aad(500, 'server_error', 50000, 'There was an error issuing a token or an issue with our sign-in service.')
        : afError(500, 'AF50000', 'An internal error occurred. Retry the request.');
    case '503':
      return serviceUnavailable();
    case 'error':
      return entra
        ? aad(spec.status ?? 400, spec.code ?? 'invalid_request', 50000, spec.message ?? 'Simulated error.')
        : afError(spec.status ?? 400, spec.code ?? 'AF50005', spec.message ?? 'Simulated error.');
    case 'expired':
      return expired(match.contentId ?? '');
    case 'not-found':
      return match.route === 'blob'
        ? afError(404, 'AF20050', `The specified content (${match.contentId ?? ''}) doesn't exist.`)
        : undefined;
    default:
      return undefined;
  }
}

/** Points `NextPageUri` at another host (adding one when the page had none), keeping path and query. */
function foreignNextPage(reply: Reply, req: RequestContext, foreignOrigin: string): Reply {
  const current = reply.headers.NextPageUri;
  const next = new URL(current ?? req.url.href);
  if (current === undefined) next.searchParams.set('nextpage', encodePageToken({ created: req.now, seq: 1 }));
  const foreign = new URL(`${next.pathname}${next.search}`, foreignOrigin);
  return { ...reply, headers: { ...reply.headers, NextPageUri: foreign.href } };
}

/** Applies the faults that rewrite a real reply (next-page links, listing contents); others pass it through. */
function rewrite(taken: TakenFault | undefined, reply: Reply, match: RouteMatch, req: RequestContext, sim: SimContext) {
  const spec = taken?.spec;
  const foreign = spec?.foreignOrigin ?? DEFAULT_FOREIGN_ORIGIN;
  if (spec?.kind === 'foreign-next-page') {
    return match.family === 'graph' || match.family === 'rws'
      ? foreignTraceNextLink(reply, req, foreign)
      : foreignNextPage(reply, req, foreign);
  }
  if (spec?.kind === 'poison-descriptor' && taken !== undefined && match.route === 'content') {
    const variant = spec.variant ?? 'missing-contentId';
    const seq = taken.firing.seq;
    const lifetime = sim.options.contentLifetimeMs;
    const poisoned = poisonListing(reply, (last) => poisonDescriptor(variant, req, seq, lifetime, foreign, last));
    if (poisoned === undefined) return reply;
    taken.firing.injected = poisoned.descriptor;
    return poisoned.reply;
  }
  return reply;
}

/** Builds the request listener: route, log, apply faults, answer. */
export function createDispatcher(
  sim: SimContext,
  signal: AbortSignal,
): (req: IncomingMessage, res: ServerResponse) => void {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const now = sim.now();
    const seq = sim.log.nextSeq();
    const method = (req.method ?? 'GET').toUpperCase();
    // Appended rather than resolved, so a path starting with `//` stays a path instead of naming another host.
    const url = new URL(`${sim.origin}${req.url ?? '/'}`);
    const body = await readBody(req);
    const ctx: RequestContext = {
      method,
      url,
      segments: url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map(decodeSegment),
      query: queryView(url.searchParams),
      headers: req.headers,
      body,
      now,
    };
    const match =
      matchEntra(sim, ctx) ?? matchManagement(sim, ctx) ?? matchGraph(sim, ctx) ?? matchRws(sim, ctx) ?? notFound();
    const entry = sim.log.record({
      seq,
      at: now,
      method,
      path: url.pathname,
      query: Object.fromEntries(ctx.query.entries()),
      route: match.route,
      contentType: match.contentType,
      contentId: match.contentId,
      hasBearer: /^Bearer\s/i.test(req.headers.authorization ?? ''),
      bearerValid: match.bearerValid ?? false,
      publisherIdentifier: ctx.query.get('PublisherIdentifier'),
    });
    const taken = sim.faults.take({
      route: match.route,
      method,
      contentType: match.contentType,
      contentId: match.contentId,
      path: url.pathname,
      seq,
    });
    const fault = taken?.spec;
    if (fault !== undefined) entry.fault = fault.kind;

    let reply = fault === undefined ? undefined : replacement(fault, match, ctx, sim);
    if (reply === undefined) {
      if (fault?.kind === 'delay-headers') await sleep(fault.delayMs ?? 1000, undefined, { signal });
      reply = rewrite(taken, await match.handle(), match, ctx, sim);
    }
    entry.status = reply.status;
    try {
      await writeReply(res, reply, bodyDisturbance(fault), signal);
    } finally {
      sim.onRequest?.(entry);
    }
  };

  return (req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (signal.aborted || res.destroyed) return;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const reply = afError(500, 'AF50000', `An internal error occurred. Retry the request. (${message})`);
      res.writeHead(reply.status, reply.headers).end(reply.body as string);
    });
  };
}
