import type { DedupeFilter } from '../dedupe/index.ts';
import type { Outbox } from '../devo/outbox.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { tagForWorkload } from './content-types.ts';

export interface RecordSink {
  /** Dedupe, tag and queue one record as received (raw JSON text). */
  (raw: string): void;
}

/**
 * The per-record step: drop a duplicate, pick the Devo table from `Workload`, obfuscate if asked, and queue the
 * record for the next checkpoint. The message is the record as received unless obfuscation rewrites it.
 */
export function createRecordSink(options: {
  filter: DedupeFilter;
  /** Read-only second filter: records another function already delivered (the retry function's view). */
  alsoSeenIn?: DedupeFilter;
  outbox: Outbox;
  stats: RunStatistics;
  obfuscate: ((record: unknown) => unknown) | undefined;
}): RecordSink {
  const { filter, alsoSeenIn, outbox, stats, obfuscate } = options;
  return (raw) => {
    stats.eventsReceived += 1;
    if (alsoSeenIn?.has(raw) === true || !filter.addIfNew(raw)) {
      stats.duplicates += 1;
      return;
    }
    const record = JSON.parse(raw) as { Workload?: unknown; CreationTime?: unknown };
    const created =
      typeof record.CreationTime === 'string' ? Date.parse(withUtcSuffix(record.CreationTime)) : Number.NaN;
    if (!Number.isNaN(created) && (stats.newestEventTime === undefined || created > stats.newestEventTime)) {
      stats.newestEventTime = created;
    }
    outbox.add(tagForWorkload(record.Workload), obfuscate === undefined ? raw : JSON.stringify(obfuscate(record)));
  };
}

/** `CreationTime` is UTC but written without a zone (`2026-11-20T10:01:02`). */
export function withUtcSuffix(time: string): string {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(time) ? time : `${time}Z`;
}
