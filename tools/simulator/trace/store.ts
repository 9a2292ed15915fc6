import type { Directory } from '../management/records/index.ts';
import type { Random } from '../random.ts';
import type { TraceGeneratorSettings } from './generator.ts';
import { generateMessage, generateMessages } from './generator.ts';
import type { Instant, RowState, TraceMessage, TraceRow, TraceStatus } from './model.ts';
import { compareInstants, compareRows, isTraceStatus, stateAt } from './model.ts';

/** A recipient of a message added by a test; unset fields come from the seeded generator. */
export interface NewTraceRecipient {
  address: string;
  status?: TraceStatus;
  size?: number;
  /** Empty string: delivered inside the service. */
  toIP?: string;
  /** Epoch ms the row becomes visible; default the message's `visibleAt`. */
  visibleAt?: number;
}

/** A message added by a test (`addMessages`); every field is optional. */
export interface NewTraceMessage {
  /** Epoch ms; default now. */
  receivedAt?: number;
  /** Epoch ms every row becomes visible; default `receivedAt` (at once). */
  visibleAt?: number;
  id?: string;
  messageId?: string;
  senderAddress?: string;
  subject?: string;
  fromIP?: string;
  recipients?: ReadonlyArray<string | NewTraceRecipient>;
}

/** What `addMessages` hands back. */
export interface TraceMessageInfo {
  id: string;
  messageId: string;
  receivedAt: number;
  recipients: string[];
}

/** A later state of one row: a new status (and optionally size or destination IP) from `at` on. */
export interface RowChange {
  status: TraceStatus;
  size?: number;
  toIP?: string;
}

/** Inclusive time window of a query. */
export interface TraceWindow {
  start: Instant;
  end: Instant;
}

/** All messages of the tenant, queried the way both APIs do: by received time, newest first, as seen at an instant. */
export class TraceStore {
  readonly #messages: TraceMessage[] = [];
  /** Insertion order of each message, so that a paged query can leave out messages added after its first page. */
  readonly #seq = new Map<TraceMessage, number>();
  readonly #byId = new Map<string, TraceMessage>();
  readonly #random: Random;
  readonly #directory: Directory;
  readonly #settings: TraceGeneratorSettings;

  constructor(random: Random, directory: Directory, settings: TraceGeneratorSettings) {
    this.#random = random;
    this.#directory = directory;
    this.#settings = settings;
  }

  /** Fills the store with `count` seeded messages spread over `spanMs` before `anchor`. */
  populate(count: number, anchor: number, spanMs: number): void {
    const random = this.#random.fork('initial');
    for (const message of generateMessages(random, this.#directory, this.#settings, count, anchor, spanMs)) {
      this.#insert(message);
    }
  }

  /** Adds messages (generated ones for a count); rows appear once the clock reaches their `visibleAt`. */
  add(input: number | ReadonlyArray<NewTraceMessage>, now: number): TraceMessageInfo[] {
    const specs: readonly NewTraceMessage[] =
      typeof input === 'number' ? Array.from({ length: input }, () => ({})) : input;
    return specs.map((spec) => {
      const message = this.#build(spec, now);
      this.#insert(message);
      return {
        id: message.id,
        messageId: message.messageId,
        receivedAt: message.received.ms,
        recipients: message.recipients.map((r) => r.address),
      };
    });
  }

  /** Gives one row a new state from `at` on; false when there is no such row. */
  change(id: string, recipientAddress: string, change: RowChange, at: number): boolean {
    if (!isTraceStatus(change.status)) throw new TypeError(`unknown message trace status: ${String(change.status)}`);
    const recipient = this.#byId
      .get(id)
      ?.recipients.find((r) => r.address.toLowerCase() === recipientAddress.toLowerCase());
    if (recipient === undefined) return false;
    const current = stateAt(recipient, at);
    recipient.states.push({
      from: at,
      status: change.status,
      size: change.size ?? current.size,
      toIP: change.toIP ?? current.toIP,
    });
    recipient.states.sort((a, b) => a.from - b.from);
    return true;
  }

  /** Messages added so far; a paged query remembers it to serve later pages from the same data. */
  get version(): number {
    return this.#messages.length;
  }

  /**
   * Rows visible at `at` within the window (all rows when absent), newest first, each in its state at `at`;
   * `version` leaves out messages added after the store had that many.
   */
  rows(window: TraceWindow | undefined, at: number, version = Infinity): TraceRow[] {
    const rows: TraceRow[] = [];
    for (const message of this.#messages) {
      if ((this.#seq.get(message) ?? 0) > version) continue;
      if (window !== undefined) {
        if (compareInstants(message.received, window.start) < 0 || compareInstants(message.received, window.end) > 0)
          continue;
      }
      for (const recipient of message.recipients) {
        if (recipient.visibleAt <= at) rows.push({ message, recipient, state: stateAt(recipient, at) });
      }
    }
    return rows.sort(compareRows);
  }

  #insert(message: TraceMessage): void {
    if (this.#byId.has(message.id)) throw new RangeError(`message trace id ${message.id} already exists`);
    if (message.recipients.length === 0) throw new RangeError('a message has at least one recipient');
    const seen = new Set<string>();
    for (const r of message.recipients) {
      const key = r.address.toLowerCase();
      if (seen.has(key)) throw new RangeError(`recipient ${r.address} appears twice in message ${message.id}`);
      seen.add(key);
    }
    this.#messages.push(message);
    this.#seq.set(message, this.#messages.length);
    this.#byId.set(message.id, message);
  }

  /** A message from a test's partial description, the rest generated. */
  #build(spec: NewTraceMessage, now: number): TraceMessage {
    const receivedAt = spec.receivedAt ?? now;
    const base = generateMessage(this.#random, this.#directory, this.#settings, receivedAt);
    const visibleAt = spec.visibleAt ?? receivedAt;
    const template = base.recipients[0]?.states[0];
    const recipients =
      spec.recipients === undefined
        ? base.recipients.map((r) => ({ ...r, visibleAt: spec.visibleAt ?? r.visibleAt }))
        : spec.recipients.map((given) => {
            const r = typeof given === 'string' ? { address: given } : given;
            const state: RowState = {
              from: receivedAt,
              status: r.status ?? 'delivered',
              size: r.size ?? template?.size ?? 4096,
              toIP: r.toIP ?? '',
            };
            if (!isTraceStatus(state.status))
              throw new TypeError(`unknown message trace status: ${String(state.status)}`);
            return { address: r.address, visibleAt: r.visibleAt ?? visibleAt, states: [state] };
          });
    return {
      id: spec.id ?? base.id,
      messageId: spec.messageId ?? base.messageId,
      senderAddress: spec.senderAddress ?? base.senderAddress,
      subject: spec.subject ?? base.subject,
      // Added messages sit on a whole millisecond, so a query ending at that millisecond includes them.
      received: { ms: receivedAt, sub: 0 },
      fromIP: spec.fromIP ?? base.fromIP,
      recipients,
    };
  }
}
