import type { Directory } from '../management/records/index.ts';
import type { Random } from '../random.ts';
import type { GraphMessageTrace, RwsMessageTrace, RwsShape } from './format.ts';
import { graphRow, rwsRow } from './format.ts';
import type { ResolvedTraceOptions } from './options.ts';
import { TraceStore } from './store.ts';
import { Throttle } from './throttle.ts';
import { instantOf } from './time.ts';

/** Switches tests may flip while the simulator runs. */
export interface MessageTraceSettings {
  /** Graph answers 401 "service principal … not found". */
  servicePrincipalMissing: boolean;
  /** RWS answers 403 "No permission to access the report for the organization". */
  rwsForbidden: boolean;
  rwsShape: RwsShape;
}

/** Message trace state shared by the Graph and RWS routes. */
export interface TraceState {
  options: ResolvedTraceOptions;
  store: TraceStore;
  throttle: Throttle;
  settings: MessageTraceSettings;
  /** The tenant's initial domain, RWS `Organization`. */
  organization: string;
}

export function createTraceState(
  random: Random,
  directory: Directory,
  options: ResolvedTraceOptions,
  anchor: number,
): TraceState {
  const store = new TraceStore(random, directory, options);
  store.populate(options.messages, anchor, options.spanMs);
  return {
    options,
    store,
    throttle: new Throttle(options.graphThrottle),
    settings: {
      servicePrincipalMissing: options.servicePrincipalMissing,
      rwsForbidden: options.rwsForbidden,
      rwsShape: options.rwsShape,
    },
    organization: directory.domain,
  };
}

/** What a query for `[from, to]` (inclusive) made at `visibleAt` returns. */
export interface ExpectedTraceQuery {
  /** Epoch ms, inclusive; default: no lower bound. */
  from?: number;
  /** Epoch ms, inclusive; default: no upper bound. */
  to?: number;
  /** The query instant: rows visible then, in their state then; default now. */
  visibleAt?: number;
  /** Graph view with `Prefer: include-unknown-enum-members` (shows `recalled`); default false. */
  includeUnknownEnumMembers?: boolean;
  /** RWS shape of the legacy view; default the configured one. */
  rwsShape?: RwsShape;
}

/** One expected row in both views, newest first. */
export interface ExpectedTraceRow {
  graph: GraphMessageTrace;
  /** Legacy view; `StartDate`/`EndDate` echo `from`/`to` and `Index` is the position in this list. */
  rws: RwsMessageTrace;
  visibleAt: number;
}

/** The rows a query would return, in both views. */
export function expectedRows(
  state: TraceState,
  origin: string,
  query: ExpectedTraceQuery,
  now: number,
): ExpectedTraceRow[] {
  const at = query.visibleAt ?? now;
  const start = instantOf(query.from ?? -8.64e15);
  const end = instantOf(query.to ?? 8.64e15);
  const rows = state.store.rows({ start, end }, at);
  return rows.map((row, index) => ({
    graph: graphRow(row, { includeUnknownEnumMembers: query.includeUnknownEnumMembers ?? false, pascalStatus: false }),
    rws: rwsRow(row, {
      shape: query.rwsShape ?? state.settings.rwsShape,
      organization: state.organization,
      start: instantOf(query.from ?? at - state.options.defaultRangeMs),
      end: instantOf(query.to ?? at),
      index,
      serviceRoot: `${origin}/ecp/ReportingWebService/Reporting.svc`,
    }),
    visibleAt: row.recipient.visibleAt,
  }));
}
