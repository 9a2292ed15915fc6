/**
 * Graph message trace rows in the Reporting Web Service layout that Devo's `cloud.office365.messagetracing` parser
 * and alert library read, so queries written for the legacy collector keep working.
 */

/** A row of Graph `messageTraces`. */
export interface GraphTraceRow {
  id?: string;
  senderAddress?: string;
  recipientAddress?: string;
  messageId?: string;
  receivedDateTime?: string;
  subject?: string;
  size?: number;
  fromIP?: string;
  toIP?: string;
  status?: string;
  [field: string]: unknown;
}

/** Graph's lowercase status enum → the capitalised value RWS used. Unknown values are capitalised the same way. */
export const LEGACY_STATUS: Readonly<Record<string, string>> = {
  gettingStatus: 'GettingStatus',
  pending: 'Pending',
  failed: 'Failed',
  delivered: 'Delivered',
  expanded: 'Expanded',
  quarantined: 'Quarantined',
  filteredAsSpam: 'FilteredAsSpam',
  recalled: 'Recalled',
  unknownFutureValue: 'Unknown',
};

export function legacyStatus(status: unknown): string | undefined {
  if (typeof status !== 'string' || status === '') return undefined;
  const known = Object.entries(LEGACY_STATUS).find(([graph]) => graph.toLowerCase() === status.toLowerCase());
  return known?.[1] ?? status.charAt(0).toUpperCase() + status.slice(1);
}

export interface LegacyContext {
  organization: string;
  /** The window the row was requested for (the legacy StartDate/EndDate echo the query). */
  start: Date;
  end: Date;
  /** The row's position in the window's result. */
  index: number;
}

/** The legacy row, fields in the legacy order; a field Graph did not send is left out rather than invented. */
export function toLegacyRow(row: GraphTraceRow, context: LegacyContext): Record<string, unknown> {
  const legacy: Record<string, unknown> = {
    Organization: context.organization,
    MessageId: row.messageId,
    Received: row.receivedDateTime,
    SenderAddress: row.senderAddress,
    RecipientAddress: row.recipientAddress,
    Subject: row.subject,
    Status: legacyStatus(row.status),
    ToIP: row.toIP,
    FromIP: row.fromIP,
    Size: row.size,
    MessageTraceId: row.id,
    StartDate: context.start.toISOString(),
    EndDate: context.end.toISOString(),
    Index: context.index,
  };
  for (const key of Object.keys(legacy)) if (legacy[key] === undefined) delete legacy[key];
  return legacy;
}

/**
 * The dedupe key: one message has one row per recipient, and a status change is a new fact, so the trace ID alone
 * would drop rows. Graph and RWS name the fields differently.
 */
export function traceKey(row: Record<string, unknown>): string {
  const id = row.id ?? row.MessageTraceId;
  const recipient = row.recipientAddress ?? row.RecipientAddress;
  const status = row.status ?? row.Status;
  return `${String(id ?? '')}|${String(recipient ?? '').toLowerCase()}|${String(status ?? '').toLowerCase()}`;
}
