/** Legacy Reporting Web Service: `GET /ecp/reportingwebservice/reporting.svc/MessageTrace`. */
import type { RouteMatch, SimContext } from '../context.ts';
import type { Reply, RequestContext } from '../http.ts';
import { jsonReply, rawJsonReply } from '../http.ts';
import { rwsError, rwsForbidden, rwsUnauthorized } from './errors.ts';
import type { RwsShape } from './format.ts';
import { rwsRow, verboseJson } from './format.ts';
import type { Instant } from './model.ts';
import { compareInstants } from './model.ts';
import { formatRwsFilter, matchesRwsFilter, parseRwsFilter } from './rws-filter.ts';
import { formatTicksZ, instantOf } from './time.ts';

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Offsets from here on fail as reported from the real service (no official explanation). */
const SKIPTOKEN_CEILING = 999_999;

/** JSON is served for `$format=json` or an `Accept` naming JSON; Atom XML (the service default) is not simulated. */
function wantsJson(req: RequestContext): boolean {
  const format = req.query.get('$format');
  if (format !== undefined) return eq(format, 'json');
  return /application\/json/i.test(String(req.headers.accept ?? ''));
}

/** A whole number parameter; undefined when absent, a message when malformed. */
function wholeParam(req: RequestContext, name: string, min: number): number | undefined | string {
  const text = req.query.get(name);
  if (text === undefined) return undefined;
  return /^\d{1,9}$/.test(text) && Number(text) >= min ? Number(text) : `Invalid ${name} value '${text}'.`;
}

function messageTrace(sim: SimContext, req: RequestContext): Reply {
  const state = sim.trace;
  const shape: RwsShape = state.settings.rwsShape;
  const bad = (message: string): Reply => rwsError(400, shape, message);
  if (!wantsJson(req)) return bad('This simulator serves JSON only: add $format=json.');
  const skip = wholeParam(req, '$skiptoken', 0);
  const top = wholeParam(req, '$top', 1);
  if (typeof skip === 'string') return bad(skip);
  if (typeof top === 'string') return bad(top);
  const parsed = parseRwsFilter(req.query.get('$filter') ?? '');
  if (!parsed.ok) return bad(parsed.message);
  const { filter } = parsed;
  if (filter.end !== undefined && filter.start === undefined)
    return bad('EndDate is specified without StartDate: a StartDate is required when an EndDate is given.');
  const start: Instant = filter.start ?? instantOf(req.now - state.options.defaultRangeMs);
  const end: Instant = filter.end ?? instantOf(req.now);
  if (compareInstants(start, end) > 0) return bad('StartDate must be earlier than EndDate.');
  if ((skip ?? 0) >= SKIPTOKEN_CEILING) return rwsError(500, shape, 'An error has occurred.', 'UnknownError');

  const oldest = instantOf(req.now - state.options.rwsRetentionMs);
  const window = { start: compareInstants(start, oldest) < 0 ? oldest : start, end };
  const all = state.store.rows(window, req.now).filter((row) => matchesRwsFilter(row, filter));
  const rows = top === undefined ? all : all.slice(0, top);
  const offset = skip ?? 0;
  const serviceRoot = `${sim.origin}/ecp/ReportingWebService/Reporting.svc`;
  const entry = (index: number) => {
    const row = rows[index];
    if (row === undefined) throw new RangeError(`row ${index} out of range`);
    return rwsRow(row, { shape, organization: state.organization, start, end, index, serviceRoot });
  };

  if (shape === 'verbose') {
    // One response holds every row: whether verbose answers ever page (`d.__next`) is unverified.
    const results = rows.slice(offset).map((_, i) => entry(offset + i));
    return rawJsonReply(200, verboseJson({ d: top === undefined ? { results } : results }));
  }
  const count = Math.min(state.options.rwsPageSize, rows.length - offset);
  const value = Array.from({ length: Math.max(0, count) }, (_, i) => entry(offset + i));
  const body: Record<string, unknown> = { 'odata.metadata': `${serviceRoot}/$metadata#MessageTrace`, value };
  if (offset + count < rows.length) {
    const text = formatRwsFilter(formatTicksZ(start), formatTicksZ(end), filter);
    const topPart = top === undefined ? '' : `&$top=${top}`;
    body['odata.nextLink'] =
      `../../reportingwebservice/reporting.svc/MessageTrace?$filter=${encodeURIComponent(text)}${topPart}&$skiptoken=${offset + count}`;
  }
  return jsonReply(200, body);
}

/** Matches `/ecp/reportingwebservice/reporting.svc/{report}`; only `MessageTrace` exists here. */
export function matchRws(sim: SimContext, req: RequestContext): RouteMatch | undefined {
  const s = req.segments;
  if (s.length < 3 || !eq(s[0], 'ecp') || !eq(s[1], 'reportingwebservice') || !eq(s[2], 'reporting.svc'))
    return undefined;
  const check = sim.tokens.check(req.headers.authorization, sim.options.rwsResource, req.now);
  const handle = (): Reply => {
    if (!check.ok) return rwsUnauthorized();
    if (sim.trace.settings.rwsForbidden) return rwsForbidden();
    const shape = sim.trace.settings.rwsShape;
    if (s.length !== 4 || !eq(s[3], 'MessageTrace'))
      return rwsError(404, shape, `Resource not found for the segment '${s.slice(3).join('/') || s[2]}'.`);
    if (req.method !== 'GET') return rwsError(405, shape, `The HTTP method '${req.method}' is not allowed.`);
    return messageTrace(sim, req);
  };
  return { route: 'rws', family: 'rws', bearerValid: check.ok, handle };
}
