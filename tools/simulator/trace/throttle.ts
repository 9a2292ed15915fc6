/** Per-tenant request quota, as Graph applies to message trace (100 requests per 5 minutes). */

export interface ThrottleSpec {
  /** Requests allowed per window; default 100. `Infinity` turns the quota off. */
  limit?: number;
  /** Default 5 minutes. */
  windowMs?: number;
  /** `sliding` (default): the last `windowMs` count. `fixed`: windows start with the first request after the last one ended. */
  mode?: 'sliding' | 'fixed';
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Counts admitted requests per tenant; refused requests do not use up the quota. */
export class Throttle {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #mode: 'sliding' | 'fixed';
  readonly #admitted = new Map<string, number[]>();
  #refused = 0;

  constructor(spec: Required<ThrottleSpec>) {
    this.#limit = spec.limit;
    this.#windowMs = spec.windowMs;
    this.#mode = spec.mode;
  }

  /** Admits a request at `now` or tells how long to wait (whole seconds, at least 1). */
  admit(tenant: string, now: number): ThrottleVerdict {
    const key = tenant.toLowerCase();
    let times = this.#admitted.get(key) ?? [];
    if (this.#mode === 'sliding') times = times.filter((t) => t > now - this.#windowMs);
    else if (times[0] !== undefined && now >= times[0] + this.#windowMs) times = [];
    this.#admitted.set(key, times);
    if (times.length < this.#limit) {
      times.push(now);
      return { ok: true };
    }
    this.#refused += 1;
    const freeAt =
      (this.#mode === 'sliding' ? (times[times.length - this.#limit] ?? now) : (times[0] ?? now)) + this.#windowMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }

  /** Requests refused so far. */
  get refused(): number {
    return this.#refused;
  }

  /** Forgets every admitted request (the quota is full again). */
  reset(): void {
    this.#admitted.clear();
  }
}
