import type { Logger } from '../telemetry/logger.ts';
import { windowTrace } from '../telemetry/traces.ts';
import { isManagementApiError, type ContentBlob, type ManagementClient } from './client.ts';
import { advanceTo, type ManagementCursor } from './cursor.ts';
import { byCreated, descriptorProblem, normalizeDescriptor } from './triage.ts';
import { HOUR_MS, WINDOW_MS, earliestStart, nextWindow, type ListingWindow } from './windows.ts';

export interface ListingRun {
  fn: { functionName: string; contentType: string };
  config: { relistMs: number; startTime: string | undefined };
  client: ManagementClient;
  logger: Logger;
}

/** A window's blobs in the order the cursor walks, and the descriptors too broken to fetch. */
export interface ListedWindow {
  blobs: ContentBlob[];
  broken: ContentBlob[];
}

/**
 * A relist span reaches back at most this far (MANAGEMENT_RELIST_SECONDS allows no more), so the first window, cut to
 * the API's 24 hours, still moves the cursor forward by at least 12 hours.
 */
const RELIST_CAP_MS = 12 * HOUR_MS;

/** Times one window is listed again after its paging broke, before the run fails. */
const MAX_RELISTS = 2;

/**
 * How far past a rejected window's start the next try begins: the API's real limit is "about 7 days", so each
 * rejection (AF20055/AF20030, e.g. after clock skew) steps further in, and after the last step the run fails
 * instead of looping.
 */
export const CLAMP_STEPS_MS = [HOUR_MS, 4 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS] as const;

/**
 * The first window of a run: it reaches back over the relist span (MANAGEMENT_RELIST_SECONDS) for blobs Microsoft
 * listed late, even when the cursor has caught up with now; blobs already done there are skipped by the caller.
 */
export function withRelist(run: ListingRun, cursor: ManagementCursor, now: Date): ListingWindow | undefined {
  const position = new Date(cursor.position);
  const window = nextWindow(position, now);
  if (window?.lostSince !== undefined || run.config.relistMs === 0) return window;
  // Never before MANAGEMENT_START_TIME: content older than the operator asked for stays out.
  const configuredStart = run.config.startTime === undefined ? 0 : Date.parse(run.config.startTime);
  const floor = Math.max(
    earliestStart(now).getTime(),
    position.getTime() - Math.min(run.config.relistMs, RELIST_CAP_MS),
    configuredStart,
  );
  // Rounded down: rounding up would skip what was created in the first fraction of a second.
  const start = new Date(Math.floor(floor / 1000) * 1000);
  // Wider than the API's 24 hours would be refused, or answered in part without an error.
  const end = new Date(Math.min((window?.end ?? position).getTime(), start.getTime() + WINDOW_MS));
  return start < end ? { start, end } : window;
}

/**
 * Lists a window; a window rejected as too old is moved further inside the limit (CLAMP_STEPS_MS), the skipped span
 * logged. Any other failure is the caller's to judge.
 */
export async function listWindowOrClamp(
  run: ListingRun,
  window: { start: Date; end: Date },
  state: { cursor: ManagementCursor },
  clamps: number,
): Promise<ListedWindow | 'clamped'> {
  for (let relists = 0; ; relists += 1) {
    try {
      return await listWindow(run, window.start, window.end);
    } catch (err) {
      if (!isManagementApiError(err)) throw err;
      // A stale or refused nextPage (AF20031): the paging broke, not the window. List it again from its first page.
      if (err.apiCode === 'AF20031' && relists < MAX_RELISTS) {
        run.logger.warn(`${run.fn.functionName}: ${err.message}; listing the window again from its first page.`);
        continue;
      }
      if (err.action !== 'window-rejected') throw err;
      return clampRejectedWindow(run, window, state, clamps, err);
    }
  }
}

/**
 * A window refused as too old (AF20055/AF20030, e.g. after clock skew) moves further inside the 7-day limit by the
 * next CLAMP_STEPS_MS step. Only a window that starts near the limit is treated so, and the new position is never
 * later than now; any other refusal fails the run instead of skipping content.
 */
function clampRejectedWindow(
  run: ListingRun,
  window: { start: Date; end: Date },
  state: { cursor: ManagementCursor },
  clamps: number,
  err: Error,
): 'clamped' {
  const now = new Date();
  const step = CLAMP_STEPS_MS[clamps];
  // Near the limit: within two hours past where the previous clamp put it.
  const reach = (CLAMP_STEPS_MS[clamps - 1] ?? 0) + 2 * HOUR_MS;
  const nearLimit = window.start.getTime() - earliestStart(now).getTime() < reach;
  if (step === undefined || !nearLimit) throw err;
  const position = new Date(Math.min(earliestStart(now).getTime() + step, now.getTime()));
  run.logger.warn(
    `${run.fn.functionName}: the API rejected the window starting ${window.start.toISOString()} (${err.message}); ` +
      `content created before ${position.toISOString()} was skipped.`,
  );
  state.cursor = advanceTo(state.cursor, position.toISOString(), run.config.relistMs);
  return 'clamped';
}

/**
 * Every blob of the window, all pages, deduplicated and sorted; broken descriptors set apart. All pages come before
 * any fetch: blobs are not in contentCreated order within or across pages, and a cursor moved over one page's blobs
 * could pass an older blob of a later page, lost if the run is then killed. Holding a whole window is bounded by its
 * 24 hours and cheap: about 550 bytes a descriptor, so 50,000 blobs (35 a minute for a day) take about 27 MB. Nor is
 * a next-page link kept while blobs are fetched for minutes, when it could go stale (AF20031) or pass the 7 days.
 */
async function listWindow(run: ListingRun, start: Date, end: Date): Promise<ListedWindow> {
  const blobs: ContentBlob[] = [];
  const broken: ContentBlob[] = [];
  const seen = new Set<string>();
  const now = new Date();
  let pages = 0;
  for await (const page of run.client.listContent(run.fn.contentType, start, end)) {
    pages += 1;
    for (const raw of page) {
      const blob = normalizeDescriptor(raw, run.fn.contentType, now);
      if (seen.has(blob.contentId)) continue;
      seen.add(blob.contentId);
      if (descriptorProblem(typeof raw === 'object' && raw !== null ? raw : {}) === undefined) blobs.push(blob);
      else broken.push(blob);
    }
  }
  run.logger.debug(windowTrace(run.fn.functionName, { start, end, pages, blobs: blobs.length + broken.length }));
  return { blobs: blobs.sort(byCreated), broken };
}
