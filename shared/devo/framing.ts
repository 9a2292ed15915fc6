import { DevoError } from './errors.ts';

/**
 * The syslog DATE field. Devo's reference Python SDK sends this constant rather than the current time, and Devo
 * assigns `eventdate` on arrival whatever the field says, so a clock reading would only cost time per line. The
 * constant also makes framed lines byte-for-byte reproducible (two spaces before `1`, as in the SDK).
 */
export const SYSLOG_DATE = 'Jan  1 00:00:00';

/** Default syslog priority: facility user (1) × 8 + severity info (6), as Devo's Python SDK sends. */
export const DEFAULT_PRIORITY = 14;

const TAG_PATTERN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+){1,5}$/;
const HOSTNAME_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Checks a Devo tag: 2–6 dot-separated levels of lowercase `[a-z0-9_-]`. Devo documents no formal grammar; this is
 * the shape of every published tag, and refusing anything else keeps events out of tables nobody queries.
 */
export function validateDevoTag(tag: string): void {
  if (typeof tag !== 'string' || !TAG_PATTERN.test(tag)) {
    const shown = typeof tag === 'string' ? JSON.stringify(tag.slice(0, 200)) : String(tag);
    throw new DevoError(
      'DEVO_TAG_INVALID',
      `invalid Devo tag ${shown}: expected 2 to 6 dot-separated levels of lowercase letters, digits, "_" or "-" ` +
        `(e.g. "my.app.o365devo.check")`,
      { tag: typeof tag === 'string' ? tag : String(tag) },
    );
  }
}

/** True when the text can stand as the syslog HOSTNAME field (printable ASCII, no spaces). */
export function isValidSyslogHostname(hostname: string): boolean {
  return HOSTNAME_PATTERN.test(hostname);
}

/** The constant part of a line for one tag: `<PRI>DATE HOSTNAME TAG: `. */
export function framePrefix(priority: number, hostname: string, tag: string): string {
  return `<${priority}>${SYSLOG_DATE} ${hostname} ${tag}: `;
}

/** True when the message holds a raw line break that would split the event on Devo's line-oriented receiver. */
export function hasLineBreak(message: string): boolean {
  return message.indexOf('\n') !== -1 || message.indexOf('\r') !== -1;
}

/**
 * Replaces raw CR/LF with the two-character texts `\r` and `\n`, so one event stays one line. JSON produced by
 * JSON.stringify never contains raw line breaks; this only protects against free text.
 */
export function escapeLineBreaks(message: string): string {
  return message.replace(/\r\n|[\r\n]/g, (m) => (m === '\n' ? '\\n' : m === '\r' ? '\\r' : '\\r\\n'));
}

/** The complete framed line as bytes, for one-off sends and tests. Lone surrogates become U+FFFD. */
export function frameLine(priority: number, hostname: string, tag: string, message: string): Buffer {
  validateDevoTag(tag);
  const body = hasLineBreak(message) ? escapeLineBreaks(message) : message;
  return Buffer.from(`${framePrefix(priority, hostname, tag)}${body}\n`, 'utf8');
}
