import { isUtf8 } from 'node:buffer';
import type { DedupeFilter } from '../dedupe/index.ts';
import type { DeliveryPipeline } from '../pipeline/pipeline.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { tagForWorkload } from './content-types.ts';
import { readFields, withUtcSuffix } from './record-fields.ts';

export { withUtcSuffix } from './record-fields.ts';

export interface RecordSink {
  /** Dedupe, tag and queue one record as received (its raw JSON bytes); false when it was a duplicate. */
  (raw: Buffer): boolean;
}

export const RECORD_REJECTED = 'RECORD_REJECTED';

/** A record that cannot be sent as configured; its blob is treated as failed, never silently dropped. */
export function recordRejected(message: string): Error & { code: typeof RECORD_REJECTED } {
  return Object.assign(new Error(message), { code: RECORD_REJECTED as typeof RECORD_REJECTED });
}

export function isRecordRejected(err: unknown): err is Error & { code: typeof RECORD_REJECTED } {
  return err instanceof Error && (err as { code?: unknown }).code === RECORD_REJECTED;
}

/**
 * The per-record step: drop a duplicate, pick the Devo table from `Workload`, obfuscate if asked, and queue the
 * record for the next checkpoint. Everything that can fail happens before the record is marked as seen, so a record
 * is in the filter only once it is queued. A record that is not valid JSON is still sent, as received, to
 * `cloud.office365.management.unknown` — unless obfuscation is on, since its fields could not be hidden.
 *
 * Without obfuscation a record stays bytes all the way: hashed, read for its two fields and framed for Devo from the
 * bytes Microsoft sent, never decoded into a string. Bytes that are not valid UTF-8 are decoded (invalid sequences
 * become U+FFFD), so that Devo only ever receives UTF-8.
 */
export function createRecordSink(options: {
  filter: DedupeFilter;
  /** Read-only second filter: records another function already delivered (the retry function's view). */
  alsoSeenIn?: DedupeFilter;
  pipeline: Pick<DeliveryPipeline, 'add'>;
  stats: RunStatistics;
  obfuscate: ((record: unknown) => unknown) | undefined;
}): RecordSink {
  const { filter, alsoSeenIn, pipeline, stats, obfuscate } = options;
  const fields = { tag: '', created: Number.NaN };
  return (bytes) => {
    stats.eventsReceived += 1;
    // The same digest either way: a string is hashed as its UTF-8 bytes.
    const raw: Buffer | string = isUtf8(bytes) ? bytes : bytes.toString('utf8');
    if (alsoSeenIn?.has(raw) === true) {
      stats.duplicates += 1;
      return false;
    }
    let message: Buffer | string = raw;
    if (obfuscate !== undefined || typeof raw === 'string' || !readFields(raw, fields)) {
      let record: { Workload?: unknown; CreationTime?: unknown } | undefined;
      try {
        record = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as typeof record;
      } catch {
        if (obfuscate !== undefined)
          throw recordRejected('a record is not valid JSON, so OBFUSCATE_FIELDS cannot be applied to it');
      }
      // Tags are made from the Workload's letters and digits only, so framing cannot refuse one after it is marked.
      fields.tag = tagForWorkload(record?.Workload);
      fields.created =
        typeof record?.CreationTime === 'string' ? Date.parse(withUtcSuffix(record.CreationTime)) : Number.NaN;
      if (obfuscate !== undefined && record !== undefined) message = JSON.stringify(obfuscate(record));
    }
    if (!filter.addIfNew(raw)) {
      stats.duplicates += 1;
      return false;
    }
    pipeline.add(fields.tag, message, fields.created);
    return true;
  };
}
