/**
 * The Graph `messageTraces` `$filter` dialect: `receivedDateTime ge … and receivedDateTime le …` bounds, `eq` on a
 * few string properties, and `contains`/`startsWith`/`endsWith` on `subject`. As observed on the real service,
 * other operators (`or`, `ne`, `in`, `not`, other comparisons) are accepted and ignored, and the last value given
 * for a property wins.
 */
import type { Instant, TraceRow } from './model.ts';
import { parseIsoInstant } from './time.ts';

export const EQ_PROPERTIES = [
  'id',
  'messageId',
  'senderAddress',
  'recipientAddress',
  'status',
  'fromIP',
  'toIP',
  'subject',
] as const;
export type EqProperty = (typeof EQ_PROPERTIES)[number];

export interface GraphFilter {
  /** Both bounds or neither; inclusive. */
  bounds?: { start: Instant; end: Instant };
  equals: Partial<Record<EqProperty, string>>;
  subject?: { op: 'contains' | 'startswith' | 'endswith'; text: string };
}

export type GraphFilterResult = { ok: true; filter: GraphFilter } | { ok: false; message: string };

const PROPERTIES = new Map<string, EqProperty | 'receivedDateTime'>(
  [...EQ_PROPERTIES, 'receivedDateTime' as const].map((p) => [p.toLowerCase(), p]),
);

/** Splits on top-level `and` / `or` outside string literals. */
function clauses(text: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === "'") quoted = !quoted; // a doubled quote flips twice: still inside the literal
    if (!quoted) {
      const joiner = /^\s+(and|or)\s+/i.exec(text.slice(i));
      if (joiner !== null) {
        parts.push(current);
        current = '';
        i += joiner[0].length - 1;
        continue;
      }
    }
    current += c;
  }
  if (quoted) return undefined;
  parts.push(current);
  return parts.map((p) => p.trim());
}

/** Removes grouping parentheses around a clause, keeping those of a function call. */
function ungroup(clause: string): string {
  let text = clause.trim();
  while (text.startsWith('(')) text = text.slice(1).trim();
  let depth = 0;
  for (const c of text.replace(/'(?:[^']|'')*'/g, '')) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
  while (depth < 0 && text.endsWith(')')) {
    text = text.slice(0, -1).trim();
    depth += 1;
  }
  return text;
}

const unquote = (literal: string): string => literal.slice(1, -1).replace(/''/g, "'");

const STRING = `'(?:[^']|'')*'`;
const COMPARISON = new RegExp(`^([A-Za-z]+)\\s+(eq|ne|gt|ge|lt|le)\\s+(${STRING}|\\S+)$`, 'i');
const FUNCTION = new RegExp(`^(contains|startswith|endswith)\\(\\s*([A-Za-z]+)\\s*,\\s*(${STRING})\\s*\\)$`, 'i');
const IN = new RegExp(`^([A-Za-z]+)\\s+in\\s+\\(.*\\)$`, 'i');

/** Parses a `$filter` value; an error message for what the real service refuses with 400. */
export function parseGraphFilter(text: string): GraphFilterResult {
  const filter: GraphFilter = { equals: {} };
  if (text.trim() === '') return { ok: true, filter };
  const parts = clauses(text);
  if (parts === undefined) return { ok: false, message: `Syntax error: unterminated string literal in '${text}'.` };
  let start: Instant | undefined;
  let end: Instant | undefined;
  for (const raw of parts) {
    let clause = ungroup(raw);
    if (/^not\s+/i.test(clause)) continue;
    if (clause === '') return { ok: false, message: `Syntax error in '$filter=${text}'.` };
    const fn = FUNCTION.exec(clause);
    if (fn !== null) {
      if ((fn[2] ?? '').toLowerCase() === 'subject')
        filter.subject = { op: (fn[1] ?? '').toLowerCase() as 'contains', text: unquote(fn[3] ?? "''") };
      continue;
    }
    if (IN.test(clause)) continue;
    const cmp = COMPARISON.exec(clause);
    if (cmp === null) return { ok: false, message: `Syntax error at '${clause}' in '$filter=${text}'.` };
    const property = PROPERTIES.get((cmp[1] ?? '').toLowerCase());
    if (property === undefined) {
      return {
        ok: false,
        message: `Could not find a property named '${cmp[1]}' on type 'microsoft.graph.exchangeMessageTrace'.`,
      };
    }
    const op = (cmp[2] ?? '').toLowerCase();
    clause = cmp[3] ?? '';
    if (property === 'receivedDateTime') {
      if (op !== 'ge' && op !== 'le') continue;
      const literal = clause.startsWith("'") ? unquote(clause) : clause;
      const instant = parseIsoInstant(literal);
      if (instant === undefined) {
        return {
          ok: false,
          message: `Invalid receivedDateTime value '${literal}'. Use ISO 8601, e.g. 2026-01-20T00:00:00Z.`,
        };
      }
      if (op === 'ge') start = instant;
      else end = instant;
      continue;
    }
    if (op !== 'eq') continue;
    if (!clause.startsWith("'")) return { ok: false, message: `A string literal is expected for '${property}'.` };
    filter.equals[property] = unquote(clause);
  }
  if ((start === undefined) !== (end === undefined)) {
    return { ok: false, message: 'Both receivedDateTime ge and receivedDateTime le are required to filter by time.' };
  }
  if (start !== undefined && end !== undefined) filter.bounds = { start, end };
  return { ok: true, filter };
}

/** Case-insensitive equality; `*@domain` matches any address of a domain. */
function sameText(value: string, wanted: string, wildcard: boolean): boolean {
  const v = value.toLowerCase();
  const w = wanted.toLowerCase();
  return wildcard && w.startsWith('*@') ? v.endsWith(w.slice(1)) : v === w;
}

/** The value of a filterable property of a row (status as stored, before any enum mapping). */
function property(row: TraceRow, name: EqProperty): string {
  switch (name) {
    case 'id':
      return row.message.id;
    case 'messageId':
      return row.message.messageId;
    case 'senderAddress':
      return row.message.senderAddress;
    case 'recipientAddress':
      return row.recipient.address;
    case 'status':
      return row.state.status;
    case 'fromIP':
      return row.message.fromIP;
    case 'toIP':
      return row.state.toIP;
    case 'subject':
      return row.message.subject;
  }
}

/** Whether a row passes the non-time conditions of a filter. */
export function matchesGraphFilter(row: TraceRow, filter: GraphFilter): boolean {
  for (const [name, wanted] of Object.entries(filter.equals) as Array<[EqProperty, string]>) {
    const wildcard = name === 'senderAddress' || name === 'recipientAddress';
    if (!sameText(property(row, name), wanted, wildcard)) return false;
  }
  if (filter.subject !== undefined) {
    const subject = row.message.subject.toLowerCase();
    const text = filter.subject.text.toLowerCase();
    if (filter.subject.op === 'contains' && !subject.includes(text)) return false;
    if (filter.subject.op === 'startswith' && !subject.startsWith(text)) return false;
    if (filter.subject.op === 'endswith' && !subject.endsWith(text)) return false;
  }
  return true;
}
