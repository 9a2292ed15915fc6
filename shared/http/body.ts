/**
 * Response bodies: read chunk by chunk as they arrive under an idle limit, checked against their declared length, and
 * the stock readers (text, JSON) API clients hand to `HttpClient.fetch`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'got';
import { bodyInvalid, isBodyInvalid } from './failure.ts';

export interface HttpResponseInfo {
  statusCode: number;
  headers: IncomingHttpHeaders;
}

/** Consumes one attempt's 2xx body; a fresh consumer per attempt, so a failed attempt leaves nothing behind. */
export type BodyReader<T> = () => { chunk(data: Buffer): void | Promise<void>; end(): T };

/** Bytes of a non-2xx body kept for classification. */
const ERROR_BODY_BYTES = 8192;

/** Marks a failure of the caller's body reader (Devo, state), so it passes through the retry logic untouched. */
export class ReaderError extends Error {}

/**
 * Feeds the body to `onChunk` chunk by chunk as it arrives, failing when no chunk comes for `idleMs` while we wait
 * for one. While an `onChunk` promise is pending the stream is paused and no timer runs, so a slow reader never
 * times the body out. Chunks are taken from `data` events rather than `read()`, which would first copy every chunk
 * buffered meanwhile into one new buffer: the whole body, once more.
 */
export function readChunks(
  stream: Request,
  idleMs: number,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    let busy = false;
    let ended = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err === undefined) resolve(bytes);
      else reject(err as Error);
    };
    // One timer for the whole body, restarted by each chunk: a new timer per chunk was a measurable cost at
    // tens of thousands of chunks a second.
    const arm = (): void => {
      if (timer === undefined) timer = setTimeout(() => finish(idleTimeout(idleMs)), idleMs);
      else timer.refresh();
    };
    const disarm = (): void => {
      clearTimeout(timer);
      timer = undefined;
    };
    const readerFailed = (err: unknown): void =>
      finish(isBodyInvalid(err) ? err : new ReaderError('body reader failed', { cause: err }));
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      let pending: void | Promise<void>;
      try {
        pending = onChunk(chunk);
      } catch (err) {
        return readerFailed(err);
      }
      if (pending === undefined) return arm();
      disarm();
      busy = true;
      stream.pause();
      pending.then(() => {
        busy = false;
        if (settled) return;
        if (ended) return finish();
        arm();
        stream.resume();
      }, readerFailed);
    };
    const onEnd = (): void => {
      ended = true;
      if (!busy) finish();
    };
    // Stays attached after the end: an error the stream emits later must not go unhandled.
    stream.on('error', (err) => finish(err));
    stream.on('data', onData);
    stream.on('end', onEnd);
    arm();
  });
}

const idleTimeout = (idleMs: number) =>
  Object.assign(new Error(`the response body stalled for ${idleMs} ms`), { code: 'ETIMEDOUT' });

export async function readErrorBody(stream: Request, idleMs: number): Promise<string> {
  const parts: Buffer[] = [];
  let kept = 0;
  try {
    await readChunks(stream, idleMs, (chunk) => {
      if (kept < ERROR_BODY_BYTES) parts.push(chunk.subarray(0, ERROR_BODY_BYTES - kept));
      kept += chunk.length;
    });
  } catch {
    // The status is the failure; a broken error body only leaves less to classify.
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A body shorter than its declared length: Node reports most cuts itself, this catches the rest. */
export function checkLength(response: HttpResponseInfo, bytes: number): void {
  const declared = response.headers['content-length'];
  if (declared === undefined || response.headers['content-encoding'] !== undefined) return;
  if (Number(declared) !== bytes) {
    throw Object.assign(new Error(`Content-Length mismatch: expected ${declared} bytes, received ${bytes}`), {
      code: 'ERR_BODY_LENGTH',
    });
  }
}

/** The whole body as text (at most `limitBytes`, which guards against a runaway answer). */
export function textBody(limitBytes = 64 * 1024 * 1024): BodyReader<string> {
  return () => {
    const parts: Buffer[] = [];
    let size = 0;
    return {
      chunk(data) {
        size += data.length;
        if (size > limitBytes) throw new RangeError(`the response is larger than ${limitBytes} bytes`);
        parts.push(data);
      },
      end: () => Buffer.concat(parts).toString('utf8'),
    };
  };
}

/**
 * The body parsed as JSON and checked against what the endpoint promises; anything else (cut short, an HTML page,
 * the wrong shape) is a body failure, retried like a 5xx.
 */
export function jsonBody<T>(accept: (value: unknown) => T | undefined, expected: string): BodyReader<T> {
  const text = textBody();
  return () => {
    const inner = text();
    return {
      chunk: (data) => inner.chunk(data),
      end() {
        const raw = inner.end();
        let parsed: unknown;
        try {
          parsed = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          throw bodyInvalid(`the response is not JSON (${raw.length} characters)`);
        }
        const value = accept(parsed);
        if (value === undefined) throw bodyInvalid(`the response is not ${expected}`);
        return value;
      },
    };
  };
}
