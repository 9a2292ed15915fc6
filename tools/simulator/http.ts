import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a route handler produces; the server writes it, and body faults may alter how. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or a factory of chunks for bodies too large to build at once (streamed, chunked encoding). */
  body: string | (() => Iterable<string>);
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

/** How a reply body is disturbed on the wire (see faults.ts). */
export type BodyDisturbance = { kind: 'delay-body'; delayMs: number } | { kind: 'reset' } | { kind: 'malformed-json' };

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
  text: string | (() => Iterable<string>),
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

/** Resolves when the response can take more data, or when its connection is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Cuts valid JSON so that no parser accepts it, while keeping it plausible (half a document). */
export function malform(text: string): string {
  let end = Math.max(1, Math.floor(text.length / 2));
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // never split a surrogate pair: the text stays valid UTF-8
  const cut = text.slice(0, end);
  return cut.endsWith('[') || cut.length < 2 ? `${cut}{"Id":` : cut;
}

/** Writes a reply, applying a body disturbance if one is given. Resolves when done (or the peer is gone). */
export async function writeReply(
  res: ServerResponse,
  reply: Reply,
  disturbance: BodyDisturbance | undefined,
  signal: AbortSignal,
): Promise<void> {
  let body = reply.body;
  if (disturbance?.kind === 'malformed-json') body = malform(typeof body === 'string' ? body : [...body()].join(''));
  const headers = { ...reply.headers };
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);

  const chunks: Iterable<string | Buffer> = typeof body === 'string' ? [body] : body();
  let disturbed = disturbance === undefined;
  for (const chunk of chunks) {
    // The first chunk is sent in two halves so that a disturbance lands inside the body, whatever its size.
    const parts = disturbed ? [chunk] : halves(Buffer.from(chunk));
    for (const part of parts) {
      if (res.destroyed || signal.aborted) return;
      if (part.length > 0 && !res.write(part)) await drained(res);
      if (disturbed || disturbance === undefined) continue;
      disturbed = true;
      if (disturbance.kind === 'reset') {
        // Give the partial body a moment to leave, then drop the connection without a clean close.
        await sleep(20, undefined, { signal }).catch(() => undefined);
        res.socket?.resetAndDestroy();
        return;
      }
      if (disturbance.kind === 'delay-body') {
        const aborted = await sleep(disturbance.delayMs, undefined, { signal }).then(
          () => false,
          () => true,
        );
        if (aborted) return;
      }
    }
  }
  if (!res.destroyed) res.end();
}

/** A whole body as two byte chunks, so mid-body disturbances have a middle to act in. */
function* halves(bytes: Buffer): Iterable<Buffer> {
  const middle = Math.floor(bytes.length / 2);
  yield bytes.subarray(0, middle);
  yield bytes.subarray(middle);
}
