import { createHash } from 'node:crypto';
import { isSetupError } from '../auth/index.ts';
import type { DeliveryPipeline } from '../pipeline/index.ts';
import { TENANT_WIDE_CODES } from './api-errors.ts';
import { isManagementApiError, type ContentBlob, type ManagementClient } from './client.ts';
import { RETENTION_MS } from './windows.ts';
import type { BlobTrace } from '../telemetry/traces.ts';

/** How the work on one content blob ended. */
export type BlobOutcome =
  | { kind: 'done' }
  /** Failed after its retries: it joins the retry list (with this error) and the run goes on. */
  | { kind: 'retry-list'; error: string }
  /** Past its contentExpiration: it can never be fetched, so it is logged and counted as lost. */
  | { kind: 'lost'; why: string }
  /** The run ran out of time while on it: the next run fetches it again (the filter drops what was sent). */
  | { kind: 'unfinished' }
  /** Not this blob's fault: the tenant, the subscription, the token, Devo or state failed. The run stops. */
  | { kind: 'stop'; error: unknown };

/**
 * Fetches one blob into `onRecord` and says how it ended: the one triage of blob failures, for the Management
 * functions and `uriRetry` alike. Only failures that concern more than this blob stop the run.
 */
export async function fetchBlob(
  client: ManagementClient,
  blob: ContentBlob,
  onRecord: (raw: Buffer) => void | Promise<void>,
  pipeline: Pick<DeliveryPipeline, 'stopped'>,
  now: Date = new Date(),
): Promise<BlobOutcome> {
  if (Date.parse(blob.contentExpiration) <= now.getTime())
    return { kind: 'lost', why: 'its contentExpiration has passed' };
  const problem = descriptorProblem(blob);
  if (problem !== undefined) return { kind: 'retry-list', error: problem };
  try {
    await client.fetchContent(blob, onRecord);
    return { kind: 'done' };
  } catch (err) {
    return triage(err, pipeline);
  }
}

/**
 * Counts what one blob brings through a record intake (records, duplicates, bytes), for its debug trace.
 * Counted per blob rather than from the run's statistics, which concurrent fetches share.
 */
export function countRecords(
  contentId: string,
  onRecord: (raw: Buffer) => boolean | Promise<boolean>,
): { counts: BlobTrace; onRecord: (raw: Buffer) => void | Promise<void> } {
  const counts: BlobTrace = { contentId, records: 0, duplicates: 0, bytes: 0 };
  const count = (isNew: boolean): void => {
    if (!isNew) counts.duplicates += 1;
  };
  return {
    counts,
    onRecord: (raw) => {
      counts.records += 1;
      counts.bytes += raw.length;
      const isNew = onRecord(raw);
      return typeof isNew === 'boolean' ? count(isNew) : isNew.then(count);
    },
  };
}

function triage(err: unknown, pipeline: Pick<DeliveryPipeline, 'stopped'>): BlobOutcome {
  if (pipeline.stopped !== undefined || isSetupError(err)) return { kind: 'stop', error: err };
  if (isManagementApiError(err)) {
    if (err.apiCode !== undefined && TENANT_WIDE_CODES.has(err.apiCode)) return { kind: 'stop', error: err };
    if (err.action === 'content-gone') return { kind: 'lost', why: err.message };
    if (err.action === 'deadline') return { kind: 'unfinished' };
  }
  return { kind: 'retry-list', error: err instanceof Error ? err.message : String(err) };
}

/** What makes a listed descriptor unusable, if anything. */
export function descriptorProblem(blob: Partial<ContentBlob>): string | undefined {
  const missing = (['contentId', 'contentUri', 'contentCreated'] as const).filter(
    (field) => typeof blob[field] !== 'string' || blob[field] === '',
  );
  if (missing.length > 0) return `the listing gave a content descriptor without ${missing.join(', ')}`;
  if (Number.isNaN(Date.parse(blob.contentCreated as string)))
    return `the listing gave a content descriptor whose contentCreated is not a time`;
  return undefined;
}

/**
 * A listed descriptor as a blob to work on. A broken one still gets a stable ID and an expiry, so it can go to the
 * retry list and, if it never becomes usable, be reported as lost when its time is up, instead of vanishing.
 */
export function normalizeDescriptor(raw: unknown, contentType: string, now: Date): ContentBlob {
  const d = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (key: string): string => (typeof d[key] === 'string' ? (d[key] as string) : '');
  const created = Date.parse(text('contentCreated'));
  const expiration = Date.parse(text('contentExpiration'));
  return {
    contentType: text('contentType') || contentType,
    contentId:
      text('contentId') || `unlisted-${createHash('sha256').update(JSON.stringify(raw)).digest('hex').slice(0, 32)}`,
    contentUri: text('contentUri'),
    contentCreated: text('contentCreated'),
    contentExpiration: !Number.isNaN(expiration)
      ? text('contentExpiration')
      : new Date((Number.isNaN(created) ? now.getTime() : created) + RETENTION_MS).toISOString(),
  };
}

/** The contentCreated order the cursor walks in, so progress can be saved as a prefix. */
export function byCreated(a: ContentBlob, b: ContentBlob): number {
  return Date.parse(a.contentCreated) - Date.parse(b.contentCreated) || a.contentId.localeCompare(b.contentId);
}
