/**
 * Message trace data model shared by the Graph `messageTraces` and the legacy RWS `MessageTrace` routes: one message
 * has one row per recipient, and each row carries a history of states so that it can change status over time.
 */

/** Graph v1.0 `exchangeMessageTraceStatus` members (`unknownFutureValue` is only ever written, never stored). */
export const TRACE_STATUSES = [
  'gettingStatus',
  'pending',
  'failed',
  'delivered',
  'expanded',
  'quarantined',
  'filteredAsSpam',
  'recalled',
] as const;
export type TraceStatus = (typeof TRACE_STATUSES)[number];

export function isTraceStatus(value: unknown): value is TraceStatus {
  return typeof value === 'string' && (TRACE_STATUSES as readonly string[]).includes(value);
}

/** A point in time finer than a millisecond: `sub` counts 100 ns steps (0..9999), as the service stores times. */
export interface Instant {
  ms: number;
  sub: number;
}

/** Orders two instants (negative when `a` is earlier). */
export function compareInstants(a: Instant, b: Instant): number {
  return a.ms - b.ms || a.sub - b.sub;
}

/** One state of a recipient row, in force from `from` (epoch ms) until the next state starts. */
export interface RowState {
  from: number;
  status: TraceStatus;
  size: number;
  /** Empty when the message stayed inside the service. */
  toIP: string;
}

export interface TraceRecipient {
  address: string;
  /** The row shows up in query results once the clock reaches this (epoch ms). */
  visibleAt: number;
  /** Sorted by `from`; the first one applies from the beginning whatever its `from` says. */
  states: RowState[];
}

export interface TraceMessage {
  /** Message trace id (Graph `id`, RWS `MessageTraceId`), shared by every recipient row. */
  id: string;
  messageId: string;
  senderAddress: string;
  subject: string;
  received: Instant;
  /** Empty when the message was submitted inside the service. */
  fromIP: string;
  recipients: TraceRecipient[];
}

/** One row as a query at some instant sees it. */
export interface TraceRow {
  message: TraceMessage;
  recipient: TraceRecipient;
  state: RowState;
}

/** The state of a recipient row at `at`. */
export function stateAt(recipient: TraceRecipient, at: number): RowState {
  let current = recipient.states[0];
  if (current === undefined) throw new Error(`row ${recipient.address} has no state`);
  for (const state of recipient.states) if (state.from <= at) current = state;
  return current;
}

/** Newest first; ties broken by trace id and recipient so that paging is stable. */
export function compareRows(a: TraceRow, b: TraceRow): number {
  return (
    compareInstants(b.message.received, a.message.received) ||
    (a.message.id < b.message.id ? -1 : a.message.id > b.message.id ? 1 : 0) ||
    (a.recipient.address < b.recipient.address ? -1 : a.recipient.address > b.recipient.address ? 1 : 0)
  );
}
