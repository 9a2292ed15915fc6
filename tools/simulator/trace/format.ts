/** How rows look on the wire: the Graph `exchangeMessageTrace` object and the legacy RWS `MessageTrace` entry. */
import type { Instant, TraceRow, TraceStatus } from './model.ts';
import { formatTicks, formatTicksZ, formatVerboseDate } from './time.ts';

/** A Graph `exchangeMessageTrace` as served (property order as documented). */
export interface GraphMessageTrace {
  id: string;
  senderAddress: string;
  recipientAddress: string;
  messageId: string;
  receivedDateTime: string;
  subject: string;
  size: number;
  fromIP: string;
  toIP: string;
  status: string;
}

/** An RWS `MessageTrace` entry as served; `__metadata` only in the verbose shape. */
export interface RwsMessageTrace {
  __metadata?: { id: string; uri: string; type: 'TenantReporting.MessageTrace' };
  Organization: string;
  MessageId: string;
  Received: string;
  SenderAddress: string;
  RecipientAddress: string;
  Subject: string;
  Status: string;
  ToIP: string | null;
  FromIP: string | null;
  Size: number;
  MessageTraceId: string;
  StartDate: string;
  EndDate: string;
  Index: number;
}

export type RwsShape = 'verbose' | 'light';

/** `filteredAsSpam` → `FilteredAsSpam`: the legacy spelling of a status. */
export function pascalStatus(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

export interface GraphRowOptions {
  /** `Prefer: include-unknown-enum-members` was sent: `recalled` is shown as such. */
  includeUnknownEnumMembers: boolean;
  /** Spell statuses in PascalCase (as one beta sample did). */
  pascalStatus: boolean;
}

/** The Graph view of a row. */
export function graphRow(row: TraceRow, options: GraphRowOptions): GraphMessageTrace {
  const status: TraceStatus | 'unknownFutureValue' =
    row.state.status === 'recalled' && !options.includeUnknownEnumMembers ? 'unknownFutureValue' : row.state.status;
  return {
    id: row.message.id,
    senderAddress: row.message.senderAddress,
    recipientAddress: row.recipient.address,
    messageId: row.message.messageId,
    receivedDateTime: formatTicksZ(row.message.received),
    subject: row.message.subject,
    size: row.state.size,
    fromIP: row.message.fromIP,
    toIP: row.state.toIP,
    status: options.pascalStatus ? pascalStatus(status) : status,
  };
}

export interface RwsRowContext {
  shape: RwsShape;
  organization: string;
  /** Query bounds, echoed in every row. */
  start: Instant;
  end: Instant;
  /** Position of the row in the whole result (not the page). */
  index: number;
  /** `<origin>/ecp/ReportingWebService/Reporting.svc`, for verbose `__metadata`. */
  serviceRoot: string;
}

/** The legacy RWS view of a row: PascalCase status, null for missing IPs, dates in the shape's format. */
export function rwsRow(row: TraceRow, ctx: RwsRowContext): RwsMessageTrace {
  const verbose = ctx.shape === 'verbose';
  const time = (instant: Instant, zone: boolean): string =>
    verbose ? formatVerboseDate(instant.ms) : zone ? formatTicksZ(instant) : formatTicks(instant);
  const entry: RwsMessageTrace = {
    Organization: ctx.organization,
    MessageId: row.message.messageId,
    Received: time(row.message.received, false),
    SenderAddress: row.message.senderAddress,
    RecipientAddress: row.recipient.address,
    Subject: row.message.subject,
    Status: pascalStatus(row.state.status),
    ToIP: row.state.toIP === '' ? null : row.state.toIP,
    FromIP: row.message.fromIP === '' ? null : row.message.fromIP,
    Size: row.state.size,
    MessageTraceId: row.message.id,
    StartDate: time(ctx.start, true),
    EndDate: time(ctx.end, true),
    Index: ctx.index,
  };
  if (!verbose) return entry;
  const uri = `${ctx.serviceRoot}/MessageTrace(${ctx.index})`;
  return { __metadata: { id: uri, uri, type: 'TenantReporting.MessageTrace' }, ...entry };
}

/** JSON text with ASP.NET's escaped-slash date literals (`"\/Date(…)\/"`); parsers read the same value. */
export function verboseJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"');
}
