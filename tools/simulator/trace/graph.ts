/** Microsoft Graph `GET /{v1.0|beta}/admin/exchange/tracing/messageTraces`. */
import { randomUUID } from 'node:crypto';
import type { RouteMatch, SimContext } from '../context.ts';
import type { Reply, RequestContext } from '../http.ts';
import { jsonReply } from '../http.ts';
import { graphError, graphThrottled, graphUnauthorized, SERVICE_PRINCIPAL_MESSAGE } from './errors.ts';
import { graphRow } from './format.ts';
import { matchesGraphFilter, parseGraphFilter } from './graph-filter.ts';
import type { Instant } from './model.ts';
import { compareInstants } from './model.ts';
import { instantOf } from './time.ts';

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

const MAX_TOP = 5000;
const DEFAULT_TOP = 1000;

/** Where the next page starts, when the query began (its first page) and how much data the store held then. */
export interface SkipToken {
  offset: number;
  queriedAt: number;
  version: number;
}

/** Opaque `$skiptoken` text for a position. */
export function encodeSkipToken(token: SkipToken): string {
  return Buffer.from(`mt1:${token.offset}:${token.queriedAt}:${token.version}`, 'utf8').toString('base64url');
}

/** Reads a `$skiptoken` back; undefined when it was not made by `encodeSkipToken`. */
export function decodeSkipToken(text: string): SkipToken | undefined {
  const m = /^mt1:(\d{1,9}):(\d{1,15}):(\d{1,9})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m === null ? undefined : { offset: Number(m[1]), queriedAt: Number(m[2]), version: Number(m[3]) };
}

/** Checks the documented window rules against the current time; a message when one is broken. */
function windowProblem(sim: SimContext, start: Instant, end: Instant, now: number): string | undefined {
  const o = sim.trace.options;
  if (compareInstants(start, end) > 0) return 'receivedDateTime ge must not be later than receivedDateTime le.';
  if (end.ms - start.ms > o.maxRangeMs)
    return `The interval between the receivedDateTime bounds can't be longer than ${o.maxRangeMs / 86_400_000} days.`;
  if (start.ms < now - o.maxStartAgeMs)
    return `receivedDateTime ge can't be more than ${o.maxStartAgeMs / 86_400_000} days before the current date.`;
  if (compareInstants(end, instantOf(now)) > 0) return 'receivedDateTime le must not be later than the current date.';
  return undefined;
}

/** `$top`: 1..5000, default 1000; a message when out of range or not a number. */
function pageSize(req: RequestContext): number | string {
  const text = req.query.get('$top');
  if (text === undefined) return DEFAULT_TOP;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_TOP)
    return `Invalid value '${text}' for $top: it must be between 1 and ${MAX_TOP}.`;
  return value;
}

/** The full next-page URL: same path and parameters as sent, plus the position. */
function nextLink(sim: SimContext, req: RequestContext, beta: boolean, token: string): string {
  const parts: string[] = [];
  const filter = req.query.get('$filter');
  const top = req.query.get('$top');
  if (filter !== undefined) parts.push(`$filter=${encodeURIComponent(filter)}`);
  if (top !== undefined) parts.push(`$top=${encodeURIComponent(top)}`);
  parts.push(`${beta ? '$skipToken' : '$skiptoken'}=${token}`);
  return `${sim.origin}${req.url.pathname}?${parts.join('&')}`;
}

function list(sim: SimContext, req: RequestContext, version: string, tenant: string): Reply {
  const state = sim.trace;
  if (state.settings.servicePrincipalMissing) return graphError(401, 'Unauthorized', SERVICE_PRINCIPAL_MESSAGE, req);
  const verdict = state.throttle.admit(tenant, req.now);
  if (!verdict.ok) return graphThrottled(req, verdict.retryAfterSeconds);

  const bad = (message: string): Reply => graphError(400, 'BadRequest', message, req);
  const top = pageSize(req);
  if (typeof top === 'string') return bad(top);
  const skipText = req.query.get('$skiptoken');
  const skip =
    skipText === undefined
      ? { offset: 0, queriedAt: req.now, version: state.store.version }
      : decodeSkipToken(skipText);
  if (skip === undefined) return bad(`Invalid $skiptoken value '${skipText}'.`);
  const parsed = parseGraphFilter(req.query.get('$filter') ?? '');
  if (!parsed.ok) return bad(parsed.message);
  const { filter } = parsed;
  if (filter.bounds !== undefined) {
    const problem = windowProblem(sim, filter.bounds.start, filter.bounds.end, req.now);
    if (problem !== undefined) return bad(problem);
  }
  const snapshot = state.options.graphPaging === 'snapshot';
  const window = filter.bounds ?? {
    start: instantOf(skip.queriedAt - state.options.defaultRangeMs),
    end: instantOf(skip.queriedAt),
  };
  const rows = state.store
    .rows(window, snapshot ? skip.queriedAt : req.now, snapshot ? skip.version : Infinity)
    .filter((row) => matchesGraphFilter(row, filter));
  const page = rows.slice(skip.offset, skip.offset + top);

  const beta = version === 'beta';
  const prefer = String(req.headers.prefer ?? '').toLowerCase();
  const includeUnknown = prefer.split(',').some((p) => p.trim() === 'include-unknown-enum-members');
  const options = {
    includeUnknownEnumMembers: includeUnknown,
    pascalStatus: beta && state.options.graphBetaStatusCase === 'pascal',
  };
  const body: Record<string, unknown> = {
    '@odata.context': `${sim.origin}/${version}/$metadata#admin/exchange/tracing/messageTraces`,
    value: page.map((row) => graphRow(row, options)),
  };
  if (skip.offset + top < rows.length) {
    body['@odata.nextLink'] = nextLink(sim, req, beta, encodeSkipToken({ ...skip, offset: skip.offset + top }));
  }
  const headers: Record<string, string> = { 'request-id': randomUUID() };
  if (includeUnknown) headers['preference-applied'] = 'include-unknown-enum-members';
  return jsonReply(200, body, headers);
}

/** Matches `/{v1.0|beta}/admin/exchange/tracing/...`; only `messageTraces` is served. */
export function matchGraph(sim: SimContext, req: RequestContext): RouteMatch | undefined {
  const s = req.segments;
  const version = (s[0] ?? '').toLowerCase();
  if (s.length < 4 || (version !== 'v1.0' && version !== 'beta') || !eq(s[1], 'admin') || !eq(s[2], 'exchange'))
    return undefined;
  if (!eq(s[3], 'tracing')) return undefined;
  const check = sim.tokens.check(req.headers.authorization, sim.options.graphResource, req.now);
  const handle = (): Reply => {
    if (!check.ok) return graphUnauthorized(req, sim.origin, check.reason);
    if (s.length !== 5 || !eq(s[4], 'messageTraces'))
      return graphError(
        400,
        'BadRequest',
        `Resource not found for the segment '${s.slice(4).join('/') || s[3]}'.`,
        req,
      );
    if (req.method !== 'GET')
      return graphError(405, 'MethodNotAllowed', `The ${req.method} method is not allowed on this resource.`, req);
    return list(sim, req, version, check.token.tenantId);
  };
  return { route: 'graph', family: 'graph', bearerValid: check.ok, handle };
}
