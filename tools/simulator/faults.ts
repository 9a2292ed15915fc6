import type { Random } from './random.ts';

/** Every route the simulator knows; faults and the request log name routes this way. */
export const ROUTES = [
  'metadata',
  'token',
  'list',
  'start',
  'stop',
  'content',
  'blob',
  'graph',
  'rws',
  'unknown',
] as const;
export type RouteName = (typeof ROUTES)[number];

/**
 * What a fault does:
 * - `429`: HTTP 429 with `Retry-After` (seconds) and an `AF429` body.
 * - `af429-403`: HTTP 403 carrying `AF429`, as Microsoft documents throttling arriving.
 * - `500`: HTTP 500 `AF50000`.  `503`: HTTP 503 from the front end (HTML body).
 * - `error`: any status / code / message given in the spec.
 * - `delay-headers`: wait `delayMs`, then answer normally.  `delay-body`: send half the body, wait, send the rest.
 * - `reset`: send the headers and part of the body, then reset the TCP connection.
 * - `malformed-json`: a complete 200 response whose body is cut in half (`Content-Length` matches the half: valid
 *   HTTP, invalid JSON).
 * - `truncated-length`: a 200 declaring the full `Content-Length` that sends about half the body and then closes the
 *   connection cleanly (the client sees a premature close / length mismatch).
 * - `truncated-chunked`: a 200 without `Content-Length` (chunked) whose body stops half-way and then ends properly
 *   (valid HTTP, invalid JSON).
 * - `stall-body`: headers and about half the body, then silence for `delayMs` (default 30 s), then the connection
 *   closes: only a client idle timeout notices early.
 * - `html-200`: a 200 `text/html` error page, as front ends sometimes send (`body` replaces the page).
 * - `non-json-200`: a complete 200 whose body is not JSON at all (default `OK`, `body` replaces it), with the
 *   route's usual JSON content type.
 * - `expired`: the blob answers `AF20051` as if past its expiration.
 * - `not-found`: the blob answers 404 `AF20050` although it exists, as the service does for a blob listed before it
 *   is readable. Only on `blob`; elsewhere it does nothing.
 * - `foreign-next-page`: the listing carries a `NextPageUri` (Graph: `@odata.nextLink`, RWS: `odata.nextLink`) on
 *   another host.
 * - `poison-descriptor`: the `content` listing page gets one extra, broken descriptor (`variant`, see
 *   `POISON_VARIANTS`); it names no stored blob, so expected records do not change. The firing's `injected` holds
 *   it. Only on successful `content` pages; elsewhere it does nothing.
 *
 * Body faults (`delay-body`, `stall-body`, `reset`, `malformed-json`, `truncated-*`) work on whole and streamed
 * bodies alike. On the `graph` and `rws` routes, replies use those APIs' error bodies (Graph error envelope,
 * OData v3 error).
 */
export const FAULT_KINDS = [
  '429',
  'af429-403',
  '500',
  '503',
  'error',
  'delay-headers',
  'delay-body',
  'reset',
  'malformed-json',
  'truncated-length',
  'truncated-chunked',
  'stall-body',
  'html-200',
  'non-json-200',
  'expired',
  'not-found',
  'foreign-next-page',
  'poison-descriptor',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The defects a `poison-descriptor` can carry: a descriptor without `contentId`, `contentUri` or `contentCreated`,
 * or one whose `contentUri` is on another origin (`foreignOrigin`).
 */
export const POISON_VARIANTS = [
  'missing-contentId',
  'missing-contentUri',
  'missing-contentCreated',
  'foreign-contentUri',
] as const;
export type PoisonVariant = (typeof POISON_VARIANTS)[number];

export interface FaultMatch {
  /** Route or routes the fault applies to; all routes when absent. */
  route?: RouteName | readonly RouteName[];
  /** Content type of the listing, start/stop request or blob. */
  contentType?: string;
  /** One blob only. */
  contentId?: string;
  method?: string;
}

export interface FaultSpec {
  match?: FaultMatch;
  kind: FaultKind;
  /** How many times it fires; default 1, or unlimited when `probability` is set. */
  times?: number;
  /** Fires on a matching request with this probability (seeded), instead of on every matching request. */
  probability?: number;
  /** Lets this many matching requests through before the fault starts to fire. */
  after?: number;
  /** `429`: the `Retry-After` value in seconds (default 1). */
  retryAfterSeconds?: number;
  /** `delay-headers` / `delay-body`: milliseconds (default 1000); `stall-body`: (default 30 000). */
  delayMs?: number;
  /** `error`: HTTP status (default 400), error code and message. */
  status?: number;
  code?: string;
  message?: string;
  /** `foreign-next-page` / `poison-descriptor` `foreign-contentUri`: the origin to point at (default
   * `https://foreign.example.invalid`). */
  foreignOrigin?: string;
  /** `poison-descriptor`: the defect (default `missing-contentId`). */
  variant?: PoisonVariant;
  /** `html-200` / `non-json-200`: the body text instead of the default page or `OK`. */
  body?: string;
}

/** A fault in the registry, with its live counters. */
export interface ActiveFault {
  readonly id: number;
  readonly spec: Readonly<FaultSpec>;
  /** Times it fired so far. */
  readonly fired: number;
  /** Matching requests it has seen (fired, skipped or after it ran out). */
  readonly seen: number;
  /** Firings left (Infinity when unlimited). */
  readonly remaining: number;
  remove(): void;
}

/** One firing, for assertions on order and targets. */
export interface FaultFiring {
  faultId: number;
  kind: FaultKind;
  route: RouteName;
  path: string;
  seq: number;
  /** `poison-descriptor`: the broken descriptor put on the page, exactly as served (absent when none was). */
  injected?: Readonly<Record<string, string>>;
}

/** A poisoned descriptor as served, for assertions. */
export interface InjectedDescriptor {
  faultId: number;
  variant: PoisonVariant;
  seq: number;
  descriptor: Readonly<Record<string, string>>;
}

/** A fault chosen for a request: its spec, and its firing record (the server adds what it injected). */
export interface TakenFault {
  spec: Readonly<FaultSpec>;
  firing: FaultFiring;
}

/** What a request looks like to the fault matcher. */
export interface FaultTarget {
  route: RouteName;
  method: string;
  contentType?: string | undefined;
  contentId?: string | undefined;
  path: string;
  seq: number;
}

interface Entry {
  id: number;
  spec: FaultSpec;
  limit: number;
  fired: number;
  seen: number;
  removed: boolean;
}

/** Checks a spec up front so a typo fails the test that wrote it, not a later request. */
function validate(spec: FaultSpec): void {
  if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`unknown fault kind: ${String(spec.kind)}`);
  const routes = spec.match?.route === undefined ? [] : [spec.match.route].flat();
  for (const route of routes) if (!ROUTES.includes(route)) throw new Error(`unknown route in fault match: ${route}`);
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new Error('fault probability must be within 0..1');
  }
  if (spec.times !== undefined && !(spec.times >= 0)) throw new Error('fault times must be >= 0');
  if (spec.variant !== undefined && !POISON_VARIANTS.includes(spec.variant)) {
    throw new Error(`unknown poison-descriptor variant: ${String(spec.variant)}`);
  }
  if (spec.delayMs !== undefined && !(spec.delayMs >= 0)) throw new Error('fault delayMs must be >= 0');
}

function matches(spec: FaultSpec, target: FaultTarget): boolean {
  const m = spec.match ?? {};
  if (m.route !== undefined && ![m.route].flat().includes(target.route)) return false;
  if (m.contentType !== undefined && m.contentType !== target.contentType) return false;
  if (m.contentId !== undefined && m.contentId !== target.contentId) return false;
  if (m.method !== undefined && m.method.toUpperCase() !== target.method) return false;
  return true;
}

/** Scripted and probabilistic faults. The first live fault (in insertion order) that matches and fires wins. */
export class FaultRegistry {
  readonly #entries: Entry[] = [];
  readonly #random: Random;
  readonly #firings: FaultFiring[] = [];
  /** Specs by fault id, kept after removal so the firing history can still be explained. */
  readonly #specs = new Map<number, Readonly<FaultSpec>>();
  #nextId = 1;

  constructor(random: Random) {
    this.#random = random;
  }

  /** Adds a fault; returns a live view of it. */
  add(spec: FaultSpec): ActiveFault {
    validate(spec);
    const entry: Entry = {
      id: this.#nextId++,
      spec: { ...spec },
      limit: spec.times ?? (spec.probability === undefined ? 1 : Infinity),
      fired: 0,
      seen: 0,
      removed: false,
    };
    this.#entries.push(entry);
    this.#specs.set(entry.id, entry.spec);
    return this.#view(entry);
  }

  /** Live views of the faults not yet removed (exhausted ones included). */
  list(): ActiveFault[] {
    return this.#entries.filter((e) => !e.removed).map((e) => this.#view(e));
  }

  /** Removes every fault (the firing history stays). */
  clear(): void {
    for (const entry of this.#entries) entry.removed = true;
    this.#entries.length = 0;
  }

  /** Every firing so far, oldest first. */
  get firings(): readonly FaultFiring[] {
    return this.#firings;
  }

  /** How many times faults of a kind (or of any kind) fired. */
  firedCount(kind?: FaultKind): number {
    return kind === undefined ? this.#firings.length : this.#firings.filter((f) => f.kind === kind).length;
  }

  /** Every descriptor `poison-descriptor` faults put on listing pages so far, oldest first. */
  get injectedDescriptors(): InjectedDescriptor[] {
    return this.#firings.flatMap((f) => {
      const spec = f.injected === undefined ? undefined : this.#specs.get(f.faultId);
      if (spec === undefined || f.injected === undefined) return [];
      return [{ faultId: f.faultId, variant: spec.variant ?? 'missing-contentId', seq: f.seq, descriptor: f.injected }];
    });
  }

  /** Picks the fault for a request, if any, and counts the firing. */
  take(target: FaultTarget): TakenFault | undefined {
    for (const entry of this.#entries) {
      if (entry.removed || !matches(entry.spec, target)) continue;
      entry.seen += 1;
      if (entry.fired >= entry.limit || entry.seen <= (entry.spec.after ?? 0)) continue;
      if (entry.spec.probability !== undefined && !this.#random.chance(entry.spec.probability)) continue;
      entry.fired += 1;
      const firing: FaultFiring = {
        faultId: entry.id,
        kind: entry.spec.kind,
        route: target.route,
        path: target.path,
        seq: target.seq,
      };
      this.#firings.push(firing);
      return { spec: entry.spec, firing };
    }
    return undefined;
  }

  #view(entry: Entry): ActiveFault {
    const entries = this.#entries;
    return {
      id: entry.id,
      spec: entry.spec,
      get fired() {
        return entry.fired;
      },
      get seen() {
        return entry.seen;
      },
      get remaining() {
        return Math.max(0, entry.limit - entry.fired);
      },
      remove: () => {
        entry.removed = true;
        const index = entries.indexOf(entry);
        if (index >= 0) entries.splice(index, 1);
      },
    };
  }
}
