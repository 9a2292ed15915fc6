import type { DedupeFilter } from '../dedupe/index.ts';
import { keepWarm, planFilterSave, type BlobStore, type FilterSave, type PersistedFilter } from '../state/index.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import type { CheckpointTrace } from '../telemetry/traces.ts';
import { deliverBatch, Outbox, type Batch, type EventSink } from './outbox.ts';

/**
 * Default amount of waiting events (bytes of framed lines) that triggers a delivery. At most two deliveries are sent
 * and not yet saved at any time, so a kill makes Devo receive at most twice this much again. Each delivery costs a
 * Devo connection (its close is the confirmation) and a journal append: at 4 MB the bench's 7-day catch-up of 315,000
 * records made 100 of each, and halving them saved 4–5 % of the collector's CPU per event and 3–5 % of the
 * machine's (`npm run bench`), for 10 MB more peak memory.
 */
export const SPILL_BYTES = 8_000_000;

export interface PipelineOptions {
  sink: EventSink;
  blobs: BlobStore;
  /** Records what was queued; saved after every confirmed delivery. */
  filter: PersistedFilter;
  stats: RunStatistics;
  /** Deliver (and save the filter) whenever this many bytes of framed events wait; at most two are unsaved at once. */
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

/**
 * A collector's progress (cursor, retry list): called when a checkpoint is taken, it captures what is finished at that
 * instant and returns the write that saves it, which runs once the events it covers are confirmed.
 */
export type Progress = () => () => Promise<ProgressSaved | void>;

export const PIPELINE_STOPPED = 'PIPELINE_STOPPED';

/**
 * The delivery half of every collector, written once: events are queued, delivered to Devo and confirmed, then the
 * dedupe filter's new digests are saved, then the collector's own progress (cursor, retry list). Order matters:
 * progress covers only events Devo confirmed, and the saved filter covers only what was delivered, so a rerun after a
 * kill at any line sends nothing twice beyond the two deliveries in flight and misses nothing.
 *
 * Deliveries are pipelined: a delivery takes the queued events, the filter's digests for them and the progress as
 * they are at one instant (one synchronous step), then sends, confirms and saves them while readers go on fetching
 * and queueing the next batch. A delivery starts writing once the one ahead of it is written (Devo is confirming it
 * on its own connection meanwhile) and the one before that is saved, so at most two deliveries are ever sent and
 * unsaved: all that a kill can make Devo receive twice. Saves run in delivery order. A reader waits only when the
 * next batch is full before the delivery ahead of it has been written. Once a delivery or a state write failed, the
 * pipeline is stopped: nothing after it is written.
 */
export class DeliveryPipeline {
  readonly #o: PipelineOptions;
  readonly #outbox: Outbox;
  readonly #spillBytes: number;
  /** The last delivery started, until its last state write: the next one saves after it. */
  #tail: Promise<void> = Promise.resolve();
  /** The delivery before it: the next one writes only once this one is saved. */
  #tailBefore: Promise<void> = Promise.resolve();
  /** Settles once the last delivery's events are written (or it failed): the next one writes after that. */
  #tailWritten: Promise<void> = Promise.resolve();
  #running = 0;
  #stopped: { error: unknown } | undefined;
  /** Newest event time queued since the last delivery was taken. */
  #newestQueued: number | undefined;
  /** Events confirmed and state bytes written since the last checkpoint, for its trace. */
  #sinceCheckpoint = { events: 0, bytes: 0 };

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#spillBytes = options.spillBytes ?? SPILL_BYTES;
    // Batches are framed while those ahead are delivered: buffers of two batches' size go round.
    this.#outbox = new Outbox(options.sink, 2 * (this.#spillBytes + options.sink.chunkBytes));
  }

  get filter(): DedupeFilter {
    return this.#o.filter.filter;
  }

  /** Bytes of framed events queued and not yet taken by a delivery. */
  get pendingBytes(): number {
    return this.#outbox.bytes;
  }

  /** The failure that stopped deliveries, if any: a Devo or state failure, or the lost lease. */
  get stopped(): unknown {
    return this.#stopped?.error;
  }

  /**
   * The intake for a reader: each item is queued by `queue` (dedupe, tag, `add`) in one synchronous step with the
   * check that the pipeline still runs; a full batch then starts its delivery, after waiting for the one ahead. Most
   * items need no wait, and then the result comes back synchronously: at tens of thousands of records a second, a
   * promise per record was a measurable share of the CPU.
   */
  intake<T, R>(queue: (item: T) => R): (item: T) => R | Promise<R> {
    return (item) => {
      if (this.#stopped !== undefined) throw this.#stopped.error;
      const result = queue(item);
      if (this.#outbox.bytes < this.#spillBytes) return result;
      return this.spillIfFull().then(() => result);
    };
  }

  /**
   * Queues one event, a record's UTF-8 bytes or text; `eventTime` (ms since epoch) feeds the delivery lag once Devo
   * confirmed it.
   */
  add(tag: string, message: string | Uint8Array, eventTime?: number): void {
    this.#outbox.add(tag, message);
    const stats = this.#o.stats;
    stats.eventsQueued += 1;
    if (eventTime === undefined || Number.isNaN(eventTime)) return;
    if (!(eventTime <= (this.#newestQueued ?? -Infinity))) this.#newestQueued = eventTime;
    if (!(eventTime >= (stats.oldestQueuedEventTime ?? Infinity))) stats.oldestQueuedEventTime = eventTime;
  }

  /**
   * Starts delivering (and saving the filter for) a full batch, without progress: it bounds memory inside big work.
   * With a delivery still running, waits until it is written first, so at most one batch waits to be written.
   */
  async spillIfFull(): Promise<void> {
    if (this.#outbox.bytes < this.#spillBytes) return;
    if (this.#running > 0) await this.#tailWritten.catch(() => undefined);
    if (this.#stopped !== undefined) throw this.#stopped.error;
    // Another reader may have taken the batch while this one waited.
    if (this.#outbox.bytes >= this.#spillBytes) this.#start(undefined).catch(() => undefined);
  }

  /** Delivers what is queued now, saves the filter, then the progress captured now; resolves once all is saved. */
  checkpoint(progress?: Progress): Promise<void> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped.error);
    return this.#start(progress);
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
      await this.#tail.catch(() => undefined);
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

  /**
   * Takes the batch, its filter save and the progress in one synchronous step, and chains their delivery and writes
   * after the delivery ahead.
   */
  #start(progress: Progress | undefined): Promise<void> {
    const batch = this.#outbox.take();
    const newest = this.#newestQueued;
    this.#newestQueued = undefined;
    const saveFilter = planFilterSave(this.#o.blobs, this.#o.filter);
    const writeProgress = progress?.();
    const ahead = { written: this.#tailWritten, saved: this.#tail, savedBefore: this.#tailBefore };
    let markWritten = (): void => undefined;
    const written = new Promise<void>((resolve) => (markWritten = resolve));
    this.#running += 1;
    const delivery = (async () => {
      try {
        await ahead.written;
        await ahead.savedBefore;
        await this.#deliver(batch, newest, saveFilter, markWritten, ahead.saved);
        if (writeProgress !== undefined) await this.#checkpointed(writeProgress);
      } catch (error) {
        this.#stopped ??= { error };
        throw error;
      } finally {
        this.#running -= 1;
      }
    })();
    this.#tailBefore = this.#tail;
    this.#tail = delivery;
    // A delivery that fails before its events are written settles this too, so the next one never waits on it.
    this.#tailWritten = Promise.race([written, delivery]);
    this.#tailWritten.catch(() => undefined);
    return delivery;
  }

  /** Sends and confirms a batch, then saves its filter digests once the delivery ahead (`aheadSaved`) is saved. */
  async #deliver(
    batch: Batch,
    newest: number | undefined,
    saveFilter: FilterSave,
    markWritten: () => void,
    aheadSaved: Promise<void>,
  ): Promise<void> {
    if (batch.lines === 0) markWritten();
    else {
      this.#checkLease();
      const sent = await deliverBatch(batch, this.#o.sink, {
        more: () => this.#outbox.size > 0,
        onWritten: markWritten,
      });
      // Confirmed: the sender holds none of it any more.
      this.#outbox.recycle(batch);
      // Counted only now that Devo confirmed them: the metrics and the statistics line say what was delivered.
      this.#o.stats.eventsSent += sent;
      const byTag = this.#o.stats.sentByTag;
      for (const [tag, counts] of batch.tags) byTag[tag] = (byTag[tag] ?? 0) + counts.events;
      this.#sinceCheckpoint.events += sent;
      if (newest !== undefined && !(newest <= (this.#o.stats.newestEventTime ?? -Infinity))) {
        this.#o.stats.newestEventTime = newest;
      }
    }
    await aheadSaved;
    this.#checkLease();
    this.#sinceCheckpoint.bytes += await saveFilter();
  }

  async #checkpointed(writeProgress: () => Promise<ProgressSaved | void>): Promise<void> {
    this.#checkLease();
    const saved = (await writeProgress()) ?? undefined;
    const since = this.#sinceCheckpoint;
    this.#sinceCheckpoint = { events: 0, bytes: 0 };
    this.#o.onCheckpoint?.({
      eventsConfirmed: since.events,
      stateBytes: since.bytes + (saved?.bytes ?? 0),
      position: saved?.position,
    });
  }

  #checkLease(): void {
    const signal = this.#o.signal;
    if (signal?.aborted === true) {
      throw Object.assign(new Error('the function lost its lock (lease); it stops writing to avoid a second writer'), {
        code: PIPELINE_STOPPED,
      });
    }
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
