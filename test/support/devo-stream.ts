import { crc32, inflateRawSync } from 'node:zlib';

/** One record received, split into its syslog fields (`valid: false` when it is not a Devo line). */
export interface ParsedLine {
  /** The record without its LF, exactly as received (after decompression). */
  raw: Buffer;
  valid: boolean;
  priority: number | undefined;
  date: string;
  hostname: string;
  tag: string;
  message: string;
}

const LF = 0x0a;
const SYSLOG_LINE = /^<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\S+) (\S+) ([^\s:]+): ([\s\S]*)$/;

/** Splits a record into its syslog fields; `valid: false` when it is not a Devo line. */
export function parseDevoLine(raw: Buffer): ParsedLine {
  const m = SYSLOG_LINE.exec(raw.toString('utf8'));
  if (!m) return { raw, valid: false, priority: undefined, date: '', hostname: '', tag: '', message: '' };
  return { raw, valid: true, priority: Number(m[1]), date: m[2]!, hostname: m[3]!, tag: m[4]!, message: m[5]! };
}

/**
 * Incremental parser of one connection's byte stream: plain LF-terminated lines, octet-counted records
 * (`<len> <record>`) and raw gzip members, in any order. A record starting with 1f 8b is a gzip member.
 */
export class DevoStreamParser {
  #pending: Buffer = Buffer.alloc(0);
  members = 0;
  readonly #onRecord: (raw: Buffer, compressed: boolean) => void;

  constructor(onRecord: (raw: Buffer, compressed: boolean) => void) {
    this.#onRecord = onRecord;
  }

  /** Feeds bytes; throws on a corrupt gzip member. */
  push(chunk: Buffer): void {
    const p = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    let off = 0;
    while (off < p.length) {
      let used = 0;
      const first = p[off]!;
      if (first === 0x1f && (p.length - off < 2 || p[off + 1] === 0x8b)) used = this.#member(p, off);
      else if (first >= 0x30 && first <= 0x39) used = this.#counted(p, off);
      else {
        const lf = p.indexOf(LF, off);
        if (lf !== -1) {
          this.#onRecord(p.subarray(off, lf), false);
          used = lf + 1 - off;
        }
      }
      if (used === 0) break;
      off += used;
    }
    this.#pending = Buffer.from(p.subarray(off));
  }

  /** Ends the stream; returns the size of the incomplete trailing fragment, which is discarded. */
  end(): number {
    const left = this.#pending.length;
    this.#pending = Buffer.alloc(0);
    return left;
  }

  #counted(p: Buffer, off: number): number {
    const sp = p.indexOf(0x20, off);
    if (sp === -1 || sp - off > 10) return p.length - off > 10 ? this.#plainFallback(p, off) : 0;
    const len = Number(p.toString('latin1', off, sp));
    if (!Number.isInteger(len)) return this.#plainFallback(p, off);
    if (p.length < sp + 1 + len) return 0;
    const rec = p.subarray(sp + 1, sp + 1 + len);
    this.#onRecord(rec[rec.length - 1] === LF ? rec.subarray(0, -1) : rec, false);
    return sp + 1 + len - off;
  }

  #plainFallback(p: Buffer, off: number): number {
    const lf = p.indexOf(LF, off);
    if (lf === -1) return 0;
    this.#onRecord(p.subarray(off, lf), false);
    return lf + 1 - off;
  }

  #member(p: Buffer, off: number): number {
    if (p.length - off < 10) return 0;
    const flags = p[off + 3]!;
    let pos = off + 10;
    if (flags & 4) pos = pos + 2 > p.length ? Infinity : pos + 2 + p.readUInt16LE(pos);
    for (const bit of [8, 16]) {
      if (flags & bit && pos < p.length) {
        const zero = p.indexOf(0, pos);
        pos = zero === -1 ? Infinity : zero + 1;
      }
    }
    if (flags & 2) pos += 2;
    if (pos >= p.length) return 0;
    let out: Buffer;
    let consumed: number;
    try {
      const r = inflateRawSync(p.subarray(pos), { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      out = r.buffer;
      consumed = r.engine.bytesWritten;
    } catch (err) {
      if ((err as { code?: string }).code === 'Z_BUF_ERROR') return 0; // member not complete yet
      throw err;
    }
    const trailer = pos + consumed;
    if (p.length < trailer + 8) return 0;
    if (p.readUInt32LE(trailer) !== crc32(out) || p.readUInt32LE(trailer + 4) !== out.length % 2 ** 32) {
      throw new Error('gzip member with a bad CRC32/ISIZE trailer');
    }
    this.members++;
    let start = 0;
    while (start < out.length) {
      const lf = out.indexOf(LF, start);
      const end = lf === -1 ? out.length : lf;
      this.#onRecord(out.subarray(start, end), true);
      start = end + 1;
    }
    return trailer + 8 - off;
  }
}
