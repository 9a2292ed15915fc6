/** Writing replies to the socket, including the body faults that break framing, pacing or content on the wire. */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSpec } from './faults.ts';
import type { Reply } from './http.ts';

/** How a reply body is disturbed on the wire (see `FAULT_KINDS` in faults.ts). */
export type BodyDisturbance =
  | { kind: 'delay-body'; delayMs: number }
  | { kind: 'reset' }
  | { kind: 'malformed-json' }
  | { kind: 'truncated-length' }
  | { kind: 'truncated-chunked' }
  | { kind: 'stall-body'; delayMs: number };

/** Default pause of `stall-body`: longer than any sane idle timeout, so only a client-side timer ends the wait. */
export const DEFAULT_STALL_MS = 30_000;

/** The body disturbance a fault asks for, if it is one of those. */
export function bodyDisturbance(spec: Readonly<FaultSpec> | undefined): BodyDisturbance | undefined {
  switch (spec?.kind) {
    case 'delay-body':
      return { kind: 'delay-body', delayMs: spec.delayMs ?? 1000 };
    case 'stall-body':
      return { kind: 'stall-body', delayMs: spec.delayMs ?? DEFAULT_STALL_MS };
    case 'reset':
    case 'malformed-json':
    case 'truncated-length':
    case 'truncated-chunked':
      return { kind: spec.kind };
    default:
      return undefined;
  }
}

/** Cuts valid JSON so that no parser accepts it, while keeping it plausible (half a document). */
export function malform(text: string): string {
  let end = Math.max(1, Math.floor(text.length / 2));
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // never split a surrogate pair: the text stays valid UTF-8
  const cut = text.slice(0, end);
  return cut.endsWith('[') || cut.length < 2 ? `${cut}{"Id":` : cut;
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

/**
 * Waits `ms`, cut short when the simulator closes or the peer goes away (a client that gave up must not keep a
 * handler sleeping). Resolves true when the full time passed and the response is still writable.
 */
function pause(res: ServerResponse, ms: number, signal: AbortSignal): Promise<boolean> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once('close', onClose);
  return sleep(ms, undefined, { signal: AbortSignal.any([signal, gone.signal]) })
    .then(
      () => !res.destroyed,
      () => false,
    )
    .finally(() => res.off('close', onClose));
}

const chunksOf = (body: Reply['body']): Iterable<string | Buffer> => (typeof body === 'string' ? [body] : body());

/** Byte length of a body; a factory is run once just to count, so a large blob is never held whole. */
function byteLength(body: Reply['body']): number {
  let total = 0;
  for (const chunk of chunksOf(body)) total += Buffer.byteLength(chunk);
  return total;
}

/** The largest cut at or below `at` that does not split a UTF-8 sequence, so the prefix stays valid text. */
function charBoundary(bytes: Buffer, at: number): number {
  let end = at;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return end;
}

/** Writes the first `limit` bytes of a body (cut on a character boundary). False when the peer went away. */
async function writePrefix(res: ServerResponse, body: Reply['body'], limit: number, signal: AbortSignal) {
  let sent = 0;
  for (const chunk of chunksOf(body)) {
    if (res.destroyed || signal.aborted) return false;
    const whole = Buffer.from(chunk);
    const part = sent + whole.length > limit ? whole.subarray(0, charBoundary(whole, limit - sent)) : whole;
    if (part.length > 0 && !res.write(part)) await drained(res);
    sent += part.length;
    if (part.length < whole.length || sent >= limit) break;
  }
  return !res.destroyed;
}

/** Ends the connection with an orderly TLS close and FIN once queued bytes are out: a clean, premature close. */
function closeConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return;
  socket.end();
}

/**
 * Sends about half the body and then stops, in the framing the fault asks for:
 * - `truncated-length`: the full `Content-Length` is declared, then the connection closes cleanly.
 * - `truncated-chunked`: no `Content-Length`; the chunked body ends properly after the half (valid HTTP).
 * - `stall-body`: framing as usual, then silence for `delayMs`, then the connection closes.
 */
async function writeCut(
  res: ServerResponse,
  reply: Reply,
  disturbance: Extract<BodyDisturbance, { kind: 'truncated-length' | 'truncated-chunked' | 'stall-body' }>,
  signal: AbortSignal,
): Promise<void> {
  const total = byteLength(reply.body);
  const headers = { ...reply.headers };
  delete headers['content-length'];
  const declareLength =
    disturbance.kind === 'truncated-length' || (disturbance.kind === 'stall-body' && typeof reply.body === 'string');
  if (declareLength) headers['content-length'] = String(total);
  res.writeHead(reply.status, headers);
  if (!(await writePrefix(res, reply.body, Math.max(1, Math.floor(total / 2)), signal))) return;
  if (disturbance.kind === 'truncated-chunked') {
    res.end();
    return;
  }
  if (disturbance.kind === 'stall-body' && !(await pause(res, disturbance.delayMs, signal))) return;
  closeConnection(res);
}

/** Writes a reply, applying a body disturbance if one is given. Resolves when done (or the peer is gone). */
export async function writeReply(
  res: ServerResponse,
  reply: Reply,
  disturbance: BodyDisturbance | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (
    disturbance?.kind === 'truncated-length' ||
    disturbance?.kind === 'truncated-chunked' ||
    disturbance?.kind === 'stall-body'
  ) {
    await writeCut(res, reply, disturbance, signal);
    return;
  }
  let body = reply.body;
  if (disturbance?.kind === 'malformed-json') body = malform(typeof body === 'string' ? body : [...body()].join(''));
  const headers = { ...reply.headers };
  if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);

  const chunks: Iterable<string | Buffer> = chunksOf(body);
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
      if (disturbance.kind === 'delay-body' && !(await pause(res, disturbance.delayMs, signal))) return;
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
