import assert from 'node:assert/strict';
import type { GraphMessageTrace, O365Simulator, RwsMessageTrace } from '../../tools/simulator/index.ts';
import type { CallResult } from './helpers.ts';
import { call } from './helpers.ts';

/** The production audiences, so that tests prove one simulator tells the three APIs apart. */
export const TRACE_RESOURCES = {
  resource: 'https://manage.office.com',
  graphResource: 'https://graph.microsoft.com',
  rwsResource: 'https://outlook.office365.com',
} as const;

/** `2026-11-20T10:00:00Z`: the documented filter literal of an epoch ms (whole seconds). */
export const isoZ = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A Graph `messageTraces` URL for an inclusive window (no filter when absent) and extra parameters. */
export function graphUrl(
  sim: O365Simulator,
  window?: { from: number; to: number },
  params: Record<string, string> = {},
  base = sim.messageTracesUrl,
): string {
  const url = new URL(base);
  if (window !== undefined)
    url.searchParams.set(
      '$filter',
      `receivedDateTime ge ${isoZ(window.from)} and receivedDateTime le ${isoZ(window.to)}`,
    );
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

/** An RWS `MessageTrace` URL for a window, in JSON. */
export function rwsUrl(sim: O365Simulator, window: { from: number; to: number }, extra: Record<string, string> = {}) {
  const url = new URL(sim.rwsMessageTraceUrl);
  url.searchParams.set(
    '$filter',
    `StartDate eq datetime'${isoZ(window.from)}' and EndDate eq datetime'${isoZ(window.to)}'`,
  );
  url.searchParams.set('$format', 'json');
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  return url.href;
}

export function bearer(token: string, headers: Record<string, string> = {}): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}`, ...headers } };
}

/** The Graph error envelope. */
export interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string } };
}

export interface GraphPage {
  '@odata.context': string;
  value: GraphMessageTrace[];
  '@odata.nextLink'?: string;
}

/** Follows `@odata.nextLink` as-is until the last page; every page must be a 200. */
export async function allGraphPages(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ rows: GraphMessageTrace[]; links: string[]; responses: CallResult[] }> {
  const rows: GraphMessageTrace[] = [];
  const links: string[] = [];
  const responses: CallResult[] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const res = await call(next, bearer(token, headers));
    assert.equal(res.status, 200, res.text);
    responses.push(res);
    const page = JSON.parse(res.text) as GraphPage;
    rows.push(...page.value);
    next = page['@odata.nextLink'];
    if (next !== undefined) links.push(next);
    assert.ok(links.length < 1000, 'paging does not end');
  }
  return { rows, links, responses };
}

export interface RwsLightPage {
  'odata.metadata': string;
  value: RwsMessageTrace[];
  'odata.nextLink'?: string;
}

/** Parses a JSON body, failing the test with the body when it is not JSON. */
export function body<T>(res: CallResult): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    assert.fail(`not JSON (${res.status}): ${res.text.slice(0, 200)}`);
  }
}

/** The Graph time filter text of a window (for combining with other conditions). */
export function graphFilter(window: { from: number; to: number }): string {
  return `receivedDateTime ge ${isoZ(window.from)} and receivedDateTime le ${isoZ(window.to)}`;
}
