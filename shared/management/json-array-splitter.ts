/**
 * Splits a streamed JSON array into the raw bytes of its elements without parsing or decoding them, so a blob of tens
 * of MB is never held whole and each record reaches Devo exactly as Microsoft sent it. Whitespace between tokens is dropped,
 * which turns a pretty-printed record into one line while leaving every string (and so every escaped `\n`) untouched.
 */
export class JsonArraySplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private ended = false;
  /** Bytes of the current element, kept as byte chunks so UTF-8 sequences split across chunks survive. */
  private pieces: Buffer[] = [];

  /**
   * Feeds the next chunk (not to be reused by the caller); returns the elements it completed, as their bytes: views
   * of `chunk` where an element lies inside it, so most records cost no copy.
   *
   * The scan state lives in locals and a string ends where the next quote is, unless a backslash precedes it: audit
   * records are mostly short strings, and keeping that path to one native search and one byte read made the split
   * about twice as fast as stepping through the parser's fields and a method call per string.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const n = chunk.length;
    // Nothing to scan, and nothing may change: a pending escape applies to the next byte that does come.
    if (n === 0) return out;
    let depth = this.depth;
    // An element that began in an earlier chunk continues at this chunk's first byte.
    let elementStart = depth > 0 || this.inString ? 0 : -1;
    let i = this.inString ? this.skipString(chunk, 0) : 0;
    while (i < n) {
      const c = chunk[i] as number;
      if (c === 0x22 && depth > 0) {
        if (elementStart < 0) elementStart = i;
        const close = chunk.indexOf(0x22, i + 1);
        i = close > 0 && chunk[close - 1] !== 0x5c ? close + 1 : this.skipString(chunk, i + 1);
      } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        // Whitespace outside strings: cut it out of the element being collected.
        if (elementStart >= 0) {
          this.pieces.push(chunk.subarray(elementStart, i));
          elementStart = -1;
        }
        i += 1;
      } else if (depth === 0 && this.betweenElements(c)) {
        i += 1;
      } else {
        if (elementStart < 0) elementStart = i;
        i += 1;
        if (c === 0x7b || c === 0x5b) depth += 1;
        else if (c === 0x7d || c === 0x5d) {
          // Never below 0: a closing bracket between elements is refused by betweenElements.
          depth -= 1;
          if (depth === 0) {
            this.pieces.push(chunk.subarray(elementStart, i));
            elementStart = -1;
            out.push(this.takeElement());
          }
        }
      }
    }
    this.depth = depth;
    // A view, not a copy: chunks are never reused (see push).
    if (elementStart >= 0) this.pieces.push(chunk.subarray(elementStart));
    return out;
  }

  /**
   * Takes `c`, met outside any element: the array's opening bracket, a comma between elements or the closing
   * bracket (true); false for the `{` that opens the next record; throws on anything else.
   */
  private betweenElements(c: number): boolean {
    if (!this.started) {
      if (c !== 0x5b) throw new SyntaxError(`expected a JSON array, found ${quoted(c)}`);
      this.started = true;
      return true;
    }
    if (this.ended) throw new SyntaxError('unexpected data after the end of the JSON array');
    if (c === 0x5d) {
      this.ended = true;
      return true;
    }
    if (c === 0x2c) return true;
    if (c !== 0x7b) throw new SyntaxError(`expected a record object in the JSON array, found ${quoted(c)}`);
    return false;
  }

  /**
   * Moves past string content from `i` (just after the opening quote, or the chunk's start when a string goes on
   * from the previous chunk): to just after the closing quote, or to the end of the chunk when the string goes on.
   * A quote preceded by an odd run of backslashes is escaped.
   */
  private skipString(chunk: Buffer, i: number): number {
    const n = chunk.length;
    if (this.escaped) {
      // The previous chunk ended in a backslash: this first byte is escaped, whatever it is.
      this.escaped = false;
      i += 1;
    }
    const from = i;
    for (let q = chunk.indexOf(0x22, i); q >= 0; q = chunk.indexOf(0x22, q + 1)) {
      if (backslashesBefore(chunk, q, from) % 2 === 0) {
        this.inString = false;
        return q + 1;
      }
    }
    this.inString = true;
    this.escaped = n > from && backslashesBefore(chunk, n, from) % 2 === 1;
    return n;
  }

  /** Throws unless the whole array was seen: a truncated blob must not look like a complete one. */
  end(): void {
    if (!this.started) throw new SyntaxError('empty response instead of a JSON array');
    if (!this.ended || this.pieces.length > 0) throw new SyntaxError('the JSON array was cut off before its end');
  }

  private takeElement(): Buffer {
    const pieces = this.pieces;
    this.pieces = [];
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
  }
}

/** The character `c` as the error messages show it. */
const quoted = (c: number): string => JSON.stringify(String.fromCharCode(c));

/** Consecutive backslashes right before `at`, not counting any before `from`. */
function backslashesBefore(chunk: Buffer, at: number, from: number): number {
  let k = at;
  while (k > from && chunk[k - 1] === 0x5c) k -= 1;
  return at - k;
}
