/**
 * The RWS `MessageTrace` `$filter` dialect: `StartDate eq datetime'…' and EndDate eq datetime'…'` (the server
 * writes `DateTime'…'` in its own links; both spellings are read), plus `eq` on a few string columns. Only `and`
 * joins clauses; anything else is a syntax error (HTTP 400), as OData v3 answers.
 */
import type { Instant, TraceRow } from './model.ts';
import { parseIsoInstant } from './time.ts';

/** Columns with an `eq` condition, mapped to how a row holds them. */
const COLUMNS = {
  senderaddress: (r: TraceRow) => r.message.senderAddress,
  recipientaddress: (r: TraceRow) => r.recipient.address,
  status: (r: TraceRow) => r.state.status,
  messageid: (r: TraceRow) => r.message.messageId,
  messagetraceid: (r: TraceRow) => r.message.id,
  fromip: (r: TraceRow) => r.message.fromIP,
  toip: (r: TraceRow) => r.state.toIP,
  subject: (r: TraceRow) => r.message.subject,
} as const;
type Column = keyof typeof COLUMNS;

/** The column names as the service spells them, for the links it writes. */
const SPELLING: Record<Column, string> = {
  senderaddress: 'SenderAddress',
  recipientaddress: 'RecipientAddress',
  status: 'Status',
  messageid: 'MessageId',
  messagetraceid: 'MessageTraceId',
  fromip: 'FromIP',
  toip: 'ToIP',
  subject: 'Subject',
};

export interface RwsFilter {
  start?: Instant;
  end?: Instant;
  equals: Array<{ column: Column; value: string }>;
}

export type RwsFilterResult = { ok: true; filter: RwsFilter } | { ok: false; message: string };

const DATE_CLAUSE = /^(StartDate|EndDate)\s+eq\s+datetime'([^']*)'$/i;
const STRING_CLAUSE = /^([A-Za-z]+)\s+eq\s+(guid)?'((?:[^']|'')*)'$/i;

/** Splits on ` and ` outside string literals. */
function clauses(text: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === "'") quoted = !quoted;
    const joiner = quoted ? null : /^\s+and\s+/i.exec(text.slice(i));
    if (joiner !== null) {
      parts.push(current.trim());
      current = '';
      i += joiner[0].length - 1;
      continue;
    }
    current += c;
  }
  if (quoted) return undefined;
  parts.push(current.trim());
  return parts;
}

/** Parses the `$filter` of a `MessageTrace` request. */
export function parseRwsFilter(text: string): RwsFilterResult {
  const filter: RwsFilter = { equals: [] };
  if (text.trim() === '') return { ok: true, filter };
  const syntax = (detail: string): RwsFilterResult => ({
    ok: false,
    message: `Syntax error '${detail}' in $filter=${text}.`,
  });
  const parts = clauses(text);
  if (parts === undefined) return syntax('unterminated string literal');
  for (const clause of parts) {
    const date = DATE_CLAUSE.exec(clause);
    if (date !== null) {
      const value = parseIsoInstant(date[2] ?? '', true);
      if (value === undefined) return { ok: false, message: `Invalid DateTime value '${date[2]}' in $filter.` };
      if ((date[1] ?? '').toLowerCase() === 'startdate') filter.start = value;
      else filter.end = value;
      continue;
    }
    const str = STRING_CLAUSE.exec(clause);
    const column = (str?.[1] ?? '').toLowerCase();
    if (str === null || !(column in COLUMNS)) return syntax(clause);
    filter.equals.push({ column: column as Column, value: (str[3] ?? '').replace(/''/g, "'") });
  }
  return { ok: true, filter };
}

/** Whether a row passes the `eq` conditions (case-insensitive; statuses compared in either spelling). */
export function matchesRwsFilter(row: TraceRow, filter: RwsFilter): boolean {
  return filter.equals.every(({ column, value }) => COLUMNS[column](row).toLowerCase() === value.toLowerCase());
}

/** The filter as the server writes it into `odata.nextLink` (`DateTime'…'` literals). */
export function formatRwsFilter(start: string, end: string, filter: RwsFilter): string {
  const parts = [`StartDate eq DateTime'${start}'`, `EndDate eq DateTime'${end}'`];
  for (const { column, value } of filter.equals) {
    const literal = column === 'messagetraceid' ? `guid'${value}'` : `'${value.replace(/'/g, "''")}'`;
    parts.push(`${SPELLING[column]} eq ${literal}`);
  }
  return parts.join(' and ');
}
