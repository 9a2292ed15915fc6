import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** What a route handler produces; the server writes it, and body faults may alter how. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or a factory of chunks for bodies too large to build at once (streamed, chunked encoding). */
  body: string | (() => Iterable<string | Buffer>);
}

/** Query parameters looked up without regard to name case, as the Microsoft front ends bind them. */
export interface QueryView {
  get(name: string): string | undefined;
  /** Every parameter as sent (names unchanged), for the request log. */
  entries(): Array<[string, string]>;
}

/** Everything a handler needs to know about one request. */
export interface RequestContext {
  method: string;
  url: URL;
  /** Decoded path segments, without empty ones. */
  segments: string[];
  query: QueryView;
  headers: IncomingHttpHeaders;
  body: string;
  /** The simulator clock at arrival. */
  now: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Builds a query view over URL search params. */
export function queryView(params: URLSearchParams): QueryView {
  const list = [...params.entries()];
  return {
    get: (name) => list.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
    entries: () => list.map(([k, v]) => [k, v] as [string, string]),
  };
}

/** A JSON reply from a value. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

/** A JSON reply from text that is already JSON (kept byte for byte). */
export function rawJsonReply(
  status: number,
  text: string | (() => Iterable<string | Buffer>),
  headers: Record<string, string> = {},
): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: text };
}

/** The Management Activity API error envelope: `{"error":{"code":"AF…","message":"…"}}`. */
export function afError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { error: { code, message } }, headers);
}

/** Reads a request body as UTF-8 text, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error(`request body larger than ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
