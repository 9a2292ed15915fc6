import { DAY, HOUR, MINUTE } from '../time.ts';
import type { RwsShape } from './format.ts';
import type { LagSpec } from './generator.ts';
import type { ThrottleSpec } from './throttle.ts';

/** Message trace data and behaviour of the Graph `messageTraces` and RWS `MessageTrace` routes. */
export interface MessageTraceOptions {
  /** Messages generated at start; default 200. */
  messages?: number;
  /** Messages are spread over this span before start (ms); default 3 days. */
  spanMs?: number;
  /** Each message has 1..this many recipients (one row each); default 5. */
  maxRecipients?: number;
  /** Late rows (seeded); default none: every row is visible once received. */
  lag?: LagSpec;
  /** Share of delivered/failed rows first shown `pending` or `gettingStatus`, settling 1 min..2 h later; default 0. */
  pendingShare?: number;
  /** Graph quota per tenant; default 100 requests per 5 minutes, sliding. */
  graphThrottle?: ThrottleSpec;
  /**
   * Graph paging: `snapshot` (default) serves every page of a query as the data stood at its first page; `live`
   * evaluates each page anew, so rows appearing meanwhile shift later pages.
   */
  graphPaging?: 'snapshot' | 'live';
  /** Status spelling under `/beta`: `camel` (default, as v1.0) or `pascal` (as one beta sample shows). */
  graphBetaStatusCase?: 'camel' | 'pascal';
  /** Widest Graph window; default 10 days. */
  maxRangeMs?: number;
  /** Oldest Graph window start, as an age; default 90 days. */
  maxStartAgeMs?: number;
  /** Window without a time filter (both APIs): the last 48 h. */
  defaultRangeMs?: number;
  /** Graph answers 401 "service principal … not found" (can be switched later on `sim.messageTrace`). */
  servicePrincipalMissing?: boolean;
  /** RWS response shape; default `light` (the only one that pages). */
  rwsShape?: RwsShape;
  /** RWS JSON light page size, 1..2000; default 2000. */
  rwsPageSize?: number;
  /** RWS answers 403 "No permission to access the report for the organization". */
  rwsForbidden?: boolean;
  /** RWS keeps this much history (older rows are simply absent); default 30 days. */
  rwsRetentionMs?: number;
}

export interface ResolvedTraceOptions {
  messages: number;
  spanMs: number;
  maxRecipients: number;
  lag: Required<LagSpec>;
  pendingShare: number;
  graphThrottle: Required<ThrottleSpec>;
  graphPaging: 'snapshot' | 'live';
  graphBetaStatusCase: 'camel' | 'pascal';
  maxRangeMs: number;
  maxStartAgeMs: number;
  defaultRangeMs: number;
  servicePrincipalMissing: boolean;
  rwsShape: RwsShape;
  rwsPageSize: number;
  rwsForbidden: boolean;
  rwsRetentionMs: number;
}

function check(name: string, value: number, ok: boolean): number {
  if (!ok || Number.isNaN(value)) throw new Error(`simulator option messageTrace.${name} is out of range: ${value}`);
  return value;
}

const share = (name: string, value: number): number => check(name, value, value >= 0 && value <= 1);
const positive = (name: string, value: number): number => check(name, value, value > 0);
const whole = (name: string, value: number, min: number, max = Infinity): number =>
  check(name, value, Number.isInteger(value) && value >= min && value <= max);

/** Applies defaults and checks ranges, so that a typo fails at start rather than in a later request. */
export function resolveTraceOptions(options: MessageTraceOptions = {}): ResolvedTraceOptions {
  const lag = options.lag;
  const throttle = options.graphThrottle ?? {};
  const minLag = lag?.minMs ?? 0;
  return {
    messages: whole('messages', options.messages ?? 200, 0),
    spanMs: positive('spanMs', options.spanMs ?? 3 * DAY),
    maxRecipients: whole('maxRecipients', options.maxRecipients ?? 5, 1),
    lag: {
      share: share('lag.share', lag === undefined ? 0 : (lag.share ?? 1)),
      minMs: check('lag.minMs', minLag, minLag >= 0 && minLag <= DAY),
      maxMs: check('lag.maxMs', lag?.maxMs ?? DAY, (lag?.maxMs ?? DAY) >= minLag && (lag?.maxMs ?? DAY) <= DAY),
    },
    pendingShare: share('pendingShare', options.pendingShare ?? 0),
    graphThrottle: {
      limit: check('graphThrottle.limit', throttle.limit ?? 100, (throttle.limit ?? 100) >= 1),
      windowMs: positive('graphThrottle.windowMs', throttle.windowMs ?? 5 * MINUTE),
      mode: throttle.mode ?? 'sliding',
    },
    graphPaging: options.graphPaging ?? 'snapshot',
    graphBetaStatusCase: options.graphBetaStatusCase ?? 'camel',
    maxRangeMs: positive('maxRangeMs', options.maxRangeMs ?? 10 * DAY),
    maxStartAgeMs: positive('maxStartAgeMs', options.maxStartAgeMs ?? 90 * DAY),
    defaultRangeMs: positive('defaultRangeMs', options.defaultRangeMs ?? 48 * HOUR),
    servicePrincipalMissing: options.servicePrincipalMissing ?? false,
    rwsShape: options.rwsShape ?? 'light',
    rwsPageSize: whole('rwsPageSize', options.rwsPageSize ?? 2000, 1, 2000),
    rwsForbidden: options.rwsForbidden ?? false,
    rwsRetentionMs: positive('rwsRetentionMs', options.rwsRetentionMs ?? 30 * DAY),
  };
}
