import type { DedupeFilter } from '../dedupe/index.ts';
import { keepWarm, saveFilter, type BlobStore, type PersistedFilter } from '../state/index.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import type { CheckpointTrace } from '../telemetry/traces.ts';
import { Outbox, type EventSink } from './outbox.ts';

/** Default amount of waiting events (characters) that triggers a delivery. */
export const SPILL_BYTES = 8_000_000;

export interface PipelineOptions {
  sink: EventSink;
  blobs: BlobStore;
  /** Records what was queued; saved after every confirmed delivery. */
  filter: PersistedFilter;
  stats: RunStatistics;
  /** Deliver (and save the filter) whenever this many characters of events wait. */
  spillBytes?: number;
  /** Aborts when the function's lease is lost: from then on no delivery and no state write starts. */
  signal?: AbortSignal;
  /** After every checkpoint, for its debug trace. */
  onCheckpoint?: (saved: CheckpointTrace) => void;
}

/** What a collector's progress step wrote: its bytes and where its cursor now stands. */
export interface ProgressSaved {
  bytes: number;
  position?: string;
}

/** Saves a collector's progress (cursor, retry list) once the events it covers are confirmed. */
export type Progress = () => Promise<ProgressSaved | void>;

export const PIPELINE_STOPPED = 'PIPELINE_STOPPED';

/**
 * The delivery half of every collector, written once: events are queued, delivered to Devo and confirmed, then the
 * dedupe filter is saved, then the collector's own progress (cursor, retry list). Order matters: progress covers only
 * events Devo confirmed, and the saved filter covers everything delivered, so a rerun after a kill at any line sends
 * nothing twice beyond one delivery and misses nothing.
 *
 * Readers (blob streams, pages) queue through `intake()`, so no item is queued while a delivery runs and saves the
 * filter. Once a delivery or a state write failed, the pipeline is stopped: a later save could otherwise mark records
 * of the failed delivery as seen.
 */
export class DeliveryPipeline {
  readonly #o: PipelineOptions;
  readonly #outbox = new Outbox();
  readonly #spillBytes: number;
  #exclusive: Promise<void> | undefined;
  #stopped: { error: unknown } | undefined;
  /** Newest event time queued since the last confirmed delivery. */
  #newestQueued: number | undefined;
  /** Events confirmed and state bytes written since the last checkpoint, for its trace. */
  #sinceCheckpoint = { events: 0, bytes: 0 };

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#spillBytes = options.spillBytes ?? SPILL_BYTES;
  }

  get filter(): DedupeFilter {
    return this.#o.filter.filter;
  }

  /** Characters of events queued and not yet delivered. */
  get pendingBytes(): number {
    return this.#outbox.bytes;
  }

  /** The failure that stopped deliveries, if any: a Devo or state failure, or the lost lease. */
  get stopped(): unknown {
    return this.#stopped?.error;
  }

  /**
   * The intake for a reader: each item waits while a delivery runs, is queued by `queue` (dedupe, tag, `add`), and
   * a full outbox is delivered before the next item. The check and the queueing happen in one synchronous step: were
   * there an `await` between them, a delivery could start in between, and the item would be in the filter it saves
   * without being in the events it delivers (a kill right then would lose it).
   */
  intake<T, R>(queue: (item: T) => R): (item: T) => Promise<R> {
    return async (item) => {
      while (this.#exclusive !== undefined) await this.#exclusive.catch(() => undefined);
      if (this.#stopped !== undefined) throw this.#stopped.error;
      const result = queue(item);
      await this.spillIfFull();
      return result;
    };
  }

  /** Queues one event; `eventTime` (ms since epoch) feeds the delivery lag once Devo confirmed it. */
  add(tag: string, message: string, eventTime?: number): void {
    this.#outbox.add(tag, message);
    if (eventTime !== undefined && !Number.isNaN(eventTime) && !(eventTime <= (this.#newestQueued ?? -Infinity))) {
      this.#newestQueued = eventTime;
    }
  }

  /** Delivers and saves the filter, but not progress, when the outbox is full: it bounds memory inside big work. */
  async spillIfFull(): Promise<void> {
    if (this.#outbox.bytes >= this.#spillBytes) await this.#exclusively(() => this.#deliver());
  }

  /** Delivers what is queued, saves the filter, then saves the caller's progress. */
  checkpoint(progress?: Progress): Promise<void> {
    return this.#exclusively(async () => {
      await this.#deliver();
      let saved: ProgressSaved | void = undefined;
      if (progress !== undefined) await this.#write(async () => (saved = await progress()));
      const since = this.#sinceCheckpoint;
      this.#sinceCheckpoint = { events: 0, bytes: 0 };
      const done = saved as ProgressSaved | undefined;
      this.#o.onCheckpoint?.({
        eventsConfirmed: since.events,
        stateBytes: since.bytes + (done?.bytes ?? 0),
        position: done?.position,
      });
    });
  }

  /**
   * Runs a collector's work and its final checkpoint. When the work fails for another reason than delivery or state
   * (a tenant-wide API error, a bug), what it finished is still delivered and checkpointed before the failure is
   * rethrown; when Devo or state failed, nothing more is written.
   */
  async run(work: () => Promise<void>, progress: Progress): Promise<void> {
    try {
      await work();
    } catch (err) {
      if (this.#stopped === undefined) {
        try {
          await this.checkpoint(progress);
        } catch (failure) {
          throw new AggregateError([err, failure], `${message(err)}; saving progress failed too: ${message(failure)}`, {
            cause: failure,
          });
        }
      }
      throw err;
    }
    await this.checkpoint(progress);
    // Everything queued is now delivered and saved: what is in memory is what storage holds, for a warm next run.
    keepWarm(this.#o.blobs, this.#o.filter);
  }

  async #deliver(): Promise<void> {
    if (this.#outbox.size > 0) {
      this.#checkLease();
      const sent = await this.#outbox.deliver(this.#o.sink);
      this.#o.stats.eventsSent += sent;
      this.#sinceCheckpoint.events += sent;
      const newest = this.#newestQueued;
      if (newest !== undefined && !(newest <= (this.#o.stats.newestEventTime ?? -Infinity))) {
        this.#o.stats.newestEventTime = newest;
      }
      this.#newestQueued = undefined;
    }
    await this.#write(async () => {
      this.#sinceCheckpoint.bytes += await saveFilter(this.#o.blobs, this.#o.filter);
    });
  }

  async #write(write: () => Promise<unknown>): Promise<void> {
    this.#checkLease();
    await write();
  }

  #checkLease(): void {
    const signal = this.#o.signal;
    if (signal?.aborted === true) {
      throw Object.assign(new Error('the function lost its lock (lease); it stops writing to avoid a second writer'), {
        code: PIPELINE_STOPPED,
      });
    }
  }

  /** Runs `op` with readers paused; a failure stops the pipeline for good. */
  async #exclusively(op: () => Promise<void>): Promise<void> {
    while (this.#exclusive !== undefined) await this.#exclusive.catch(() => undefined);
    if (this.#stopped !== undefined) throw this.#stopped.error;
    const running = op().catch((error: unknown) => {
      this.#stopped ??= { error };
      throw error;
    });
    this.#exclusive = running.finally(() => {
      this.#exclusive = undefined;
    });
    await this.#exclusive;
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
