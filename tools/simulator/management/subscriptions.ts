import type { ContentType } from './content-types.ts';
import { CONTENT_TYPES } from './content-types.ts';

export type SubscriptionStatus = 'enabled' | 'disabled';

export interface SubscriptionState {
  contentType: ContentType;
  status: SubscriptionStatus;
  /** Set when an admin disabled it (listing answers AF20023 instead of AF20022). */
  disabledByAdmin: boolean;
}

/** One `subscriptions/start` request and what it got. */
export interface StartRequest {
  contentType: ContentType;
  at: number;
  outcome: 'started' | 'already-enabled' | 'too-soon';
}

export type StartOutcome =
  { outcome: 'started' } | { outcome: 'already-enabled' } | { outcome: 'too-soon'; lastStartAt: number };

/** Subscription state per content type, with the 15-minute rule between start requests. */
export class Subscriptions {
  readonly #state = new Map<ContentType, SubscriptionState>();
  readonly #lastStart = new Map<ContentType, number>();
  readonly #starts: StartRequest[] = [];
  readonly #cooldownMs: number;

  constructor(enabled: readonly ContentType[], cooldownMs: number) {
    this.#cooldownMs = cooldownMs;
    for (const contentType of enabled)
      this.#state.set(contentType, { contentType, status: 'enabled', disabledByAdmin: false });
  }

  /** Subscriptions that exist (enabled or disabled), in content type order. */
  list(): SubscriptionState[] {
    return CONTENT_TYPES.flatMap((ct) => {
      const state = this.#state.get(ct);
      return state === undefined ? [] : [{ ...state }];
    });
  }

  get(contentType: ContentType): SubscriptionState | undefined {
    const state = this.#state.get(contentType);
    return state === undefined ? undefined : { ...state };
  }

  /**
   * A start request. Another start for the same type less than the cooldown after the previous one is refused
   * (and counted); an enabled type answers "already enabled" and still counts as a start request.
   */
  start(contentType: ContentType, now: number): StartOutcome {
    const last = this.#lastStart.get(contentType);
    if (last !== undefined && now - last < this.#cooldownMs) {
      this.#starts.push({ contentType, at: now, outcome: 'too-soon' });
      return { outcome: 'too-soon', lastStartAt: last };
    }
    this.#lastStart.set(contentType, now);
    const state = this.#state.get(contentType);
    if (state?.status === 'enabled') {
      this.#starts.push({ contentType, at: now, outcome: 'already-enabled' });
      return { outcome: 'already-enabled' };
    }
    this.#state.set(contentType, { contentType, status: 'enabled', disabledByAdmin: false });
    this.#starts.push({ contentType, at: now, outcome: 'started' });
    return { outcome: 'started' };
  }

  /** `subscriptions/stop` (exempt from the cooldown); `byAdmin` simulates a tenant admin disabling it. */
  stop(contentType: ContentType, byAdmin = false): void {
    this.#state.set(contentType, { contentType, status: 'disabled', disabledByAdmin: byAdmin });
  }

  /** Every start request so far, oldest first. */
  get startRequests(): readonly StartRequest[] {
    return this.#starts;
  }

  /** Start requests refused by the 15-minute rule (a well-behaved client keeps this at 0). */
  get cooldownViolations(): number {
    return this.#starts.filter((s) => s.outcome === 'too-soon').length;
  }
}
