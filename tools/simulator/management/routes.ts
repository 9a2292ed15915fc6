import type { RouteMatch, SimContext } from '../context.ts';
import type { RouteName } from '../faults.ts';
import type { Reply, RequestContext } from '../http.ts';
import { afError, jsonReply, rawJsonReply } from '../http.ts';
import { MINUTE } from '../time.ts';
import type { ContentType } from './content-types.ts';
import { isContentType } from './content-types.ts';
import { decodePageToken, encodePageToken, formatApiTime, resolveWindow } from './window.ts';

/** Shape of the ids the store hands out; anything else is "invalid", not "not found". */
const CONTENT_ID = /^\d{12}\$\d{12}\$[0-9a-z]+\$[0-9a-f]{32}\$\d{2}$/;

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** What the real service sends for a missing, expired or foreign token (ASP.NET's own body, not the AF envelope). */
function unauthorized(): Reply {
  return jsonReply(
    401,
    { Message: 'Authorization has been denied for this request.' },
    { 'www-authenticate': 'Bearer' },
  );
}

function methodNotAllowed(method: string): Reply {
  return jsonReply(405, { Message: `The requested resource does not support http method '${method}'.` }, {});
}

/** Reads and checks the `contentType` parameter. */
function contentTypeParam(req: RequestContext): ContentType | Reply {
  const value = req.query.get('contentType');
  if (value === undefined || value === '') return afError(400, 'AF20001', 'Missing parameter: contentType.');
  if (!isContentType(value)) return afError(400, 'AF20020', `Invalid content type: ${value}.`);
  return value;
}

/** Operation names as the service spells them in throttling messages. */
const OPERATIONS: Partial<Record<RouteName, string>> = {
  list: 'ListSubscriptions',
  start: 'StartSubscription',
  stop: 'StopSubscription',
  content: 'ListContent',
  blob: 'GetBlob',
};

/** The `AF429` message: `Too many requests. Method=…, PublisherId=…` (all zeros when the parameter is missing). */
export function throttleMessage(route: RouteName, req: RequestContext): string {
  const publisher = req.query.get('PublisherIdentifier') ?? '00000000-0000-0000-0000-000000000000';
  return `Too many requests. Method=${OPERATIONS[route] ?? route}, PublisherId=${publisher}`;
}

function list(sim: SimContext): Reply {
  return jsonReply(
    200,
    sim.subscriptions.list().map((s) => ({ contentType: s.contentType, status: s.status, webhook: null })),
  );
}

function start(sim: SimContext, req: RequestContext): Reply {
  const contentType = contentTypeParam(req);
  if (typeof contentType !== 'string') return contentType;
  const result = sim.subscriptions.start(contentType, req.now);
  if (result.outcome === 'already-enabled') {
    return afError(400, 'AF20024', 'The subscription is already enabled. No property change.');
  }
  if (result.outcome === 'too-soon') {
    const waitMinutes = Math.ceil((result.lastStartAt + sim.options.startCooldownMs - req.now) / MINUTE);
    return afError(
      429,
      'AF429',
      `${throttleMessage('start', req)}. Start requests for ${contentType} must be at least ${Math.round(sim.options.startCooldownMs / MINUTE)} minutes apart; retry in ${waitMinutes} min.`,
    );
  }
  return jsonReply(200, { contentType, status: 'enabled', webhook: null });
}

function stop(sim: SimContext, req: RequestContext): Reply {
  const contentType = contentTypeParam(req);
  if (typeof contentType !== 'string') return contentType;
  if (sim.subscriptions.get(contentType) === undefined) {
    return afError(400, 'AF20022', 'No subscription found for the specified content type.');
  }
  sim.subscriptions.stop(contentType);
  return { status: 200, headers: {}, body: '' };
}

/** `NextPageUri`: the full URL of the next page, same window, parameter names styled as configured. */
function nextPageUri(
  sim: SimContext,
  req: RequestContext,
  contentType: ContentType,
  start: number,
  end: number,
  token: string,
): string {
  const lower = sim.options.nextPageParamCase === 'lower';
  const params = new URLSearchParams();
  params.set(lower ? 'contenttype' : 'contentType', contentType);
  params.set(lower ? 'starttime' : 'startTime', formatApiTime(start));
  params.set(lower ? 'endtime' : 'endTime', formatApiTime(end));
  params.set(lower ? 'nextpage' : 'nextPage', token);
  const publisher = req.query.get('PublisherIdentifier');
  if (sim.options.nextPageKeepsPublisherIdentifier && publisher !== undefined)
    params.set('PublisherIdentifier', publisher);
  return `${sim.origin}${req.url.pathname}?${params.toString()}`;
}

function content(sim: SimContext, req: RequestContext): Reply {
  const contentType = contentTypeParam(req);
  if (typeof contentType !== 'string') return contentType;
  const subscription = sim.subscriptions.get(contentType);
  if (subscription?.disabledByAdmin === true)
    return afError(400, 'AF20023', 'The subscription was disabled by an admin.');
  if (subscription?.status !== 'enabled')
    return afError(400, 'AF20022', 'No subscription found for the specified content type.');

  const o = sim.options;
  const window = resolveWindow(req.query.get('startTime'), req.query.get('endTime'), req.now, {
    maxWindowMs: o.maxWindowMs,
    maxStartAgeMs: o.maxStartAgeMs,
    errorCode: o.windowErrorCode,
  });
  if (!window.ok) return afError(400, window.code, window.message);
  const token = req.query.get('nextPage');
  const from = token === undefined ? undefined : decodePageToken(token);
  if (token !== undefined && from === undefined) return afError(400, 'AF20031', `Invalid nextPage Input: ${token}.`);

  const page = sim.store.page(contentType, window.start, window.end, req.now, from, o.pageSize);
  const headers: Record<string, string> = {};
  if (page.next !== undefined) {
    headers.NextPageUri = nextPageUri(sim, req, contentType, window.start, window.end, encodePageToken(page.next));
  }
  return jsonReply(
    200,
    page.items.map((b) => sim.store.descriptor(b)),
    headers,
  );
}

function blob(sim: SimContext, req: RequestContext, contentId: string): Reply {
  if (!CONTENT_ID.test(contentId)) return afError(400, 'AF20052', `Content ID ${contentId} in the URL is invalid.`);
  const stored = sim.store.get(contentId);
  if (stored === undefined) return afError(404, 'AF20050', `The specified content (${contentId}) doesn't exist.`);
  if (req.now >= stored.contentExpiration) return expired(contentId);
  return rawJsonReply(200, sim.store.body(stored));
}

/** AF20051: the blob is past its expiration. */
export function expired(contentId: string): Reply {
  return afError(
    400,
    'AF20051',
    `Content requested with the key ${contentId} has already expired. Content older than 7 days cannot be retrieved.`,
  );
}

/** Matches `/api/v1.0/{tenant}/activity/feed/...`. */
export function matchManagement(sim: SimContext, req: RequestContext): RouteMatch | undefined {
  const s = req.segments;
  if (s.length < 6 || !eq(s[0], 'api') || !eq(s[1], 'v1.0') || !eq(s[3], 'activity') || !eq(s[4], 'feed'))
    return undefined;
  const tenant = s[2] ?? '';
  const check = sim.tokens.check(req.headers.authorization, sim.options.resource, req.now);

  /** Checks shared by every operation: bearer token, tenant, and (optionally) `PublisherIdentifier`. */
  const guarded = (method: string, handler: () => Reply) => (): Reply => {
    if (!check.ok) return unauthorized();
    if (!eq(tenant, check.token.tenantId)) {
      return afError(
        400,
        'AF20010',
        `The tenant ID passed in the URL (${tenant}) does not match the tenant ID passed in the access token (${check.token.tenantId}).`,
      );
    }
    const publisher = req.query.get('PublisherIdentifier');
    if (sim.options.requirePublisherIdentifier && !eq(publisher, sim.options.publisherIdentifier)) {
      return afError(
        400,
        'AF20001',
        `Missing or wrong parameter: PublisherIdentifier (expected the publisher's tenant GUID).`,
      );
    }
    return req.method === method ? handler() : methodNotAllowed(req.method);
  };
  const base = { family: 'management' as const, bearerValid: check.ok };
  const contentType = req.query.get('contentType');

  if (s.length === 7 && eq(s[5], 'subscriptions')) {
    const op = (s[6] ?? '').toLowerCase();
    if (op === 'list') return { ...base, route: 'list', handle: guarded('GET', () => list(sim)) };
    if (op === 'start') return { ...base, route: 'start', contentType, handle: guarded('POST', () => start(sim, req)) };
    if (op === 'stop') return { ...base, route: 'stop', contentType, handle: guarded('POST', () => stop(sim, req)) };
    if (op === 'content')
      return { ...base, route: 'content', contentType, handle: guarded('GET', () => content(sim, req)) };
  }
  if (s.length === 7 && eq(s[5], 'audit')) {
    const contentId = s[6] ?? '';
    const stored = sim.store.get(contentId);
    return {
      ...base,
      route: 'blob',
      contentId,
      contentType: stored?.contentType,
      handle: guarded('GET', () => blob(sim, req, contentId)),
    };
  }
  return undefined;
}
