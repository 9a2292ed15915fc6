import type { FaultKind, RouteName } from './faults.ts';
import { ROUTES } from './faults.ts';

/** One request as the simulator saw it. Never holds secrets: no header values, no bodies. */
export interface LoggedRequest {
  /** 1-based arrival order. */
  seq: number;
  /** Simulator clock at arrival (epoch ms). */
  at: number;
  method: string;
  path: string;
  /** Query parameters as sent (names unchanged). */
  query: Record<string, string>;
  route: RouteName;
  contentType?: string | undefined;
  contentId?: string | undefined;
  /** An `Authorization: Bearer …` header was present. */
  hasBearer: boolean;
  /** The bearer token was one the simulator issued, unexpired and for the right resource and tenant. */
  bearerValid: boolean;
  /** Value of the `PublisherIdentifier` parameter, if any (matched without regard to name case). */
  publisherIdentifier?: string | undefined;
  /** Status written, once known. */
  status?: number;
  fault?: FaultKind;
}

/** Routes of the Management Activity API (where `PublisherIdentifier` is expected). */
const MANAGEMENT_ROUTES: ReadonlySet<RouteName> = new Set(['list', 'start', 'stop', 'content', 'blob']);

/** Request log and counters; tests read it to assert how the client behaved. */
export class RequestLog {
  readonly #entries: LoggedRequest[] = [];
  readonly #expectedPublisher: string;
  #seq = 0;
  #tlsFailures = 0;

  constructor(expectedPublisher: string) {
    this.#expectedPublisher = expectedPublisher;
  }

  /** Next arrival number (also used by the fault matcher). */
  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  record(entry: LoggedRequest): LoggedRequest {
    this.#entries.push(entry);
    return entry;
  }

  /** Every request so far, oldest first. */
  get entries(): readonly LoggedRequest[] {
    return this.#entries;
  }

  /** Requests to one route (or all). */
  requests(route?: RouteName): LoggedRequest[] {
    return route === undefined ? [...this.#entries] : this.#entries.filter((e) => e.route === route);
  }

  /** Number of requests per route. */
  counts(): Record<RouteName, number> {
    const counts = Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<RouteName, number>;
    for (const entry of this.#entries) counts[entry.route] += 1;
    return counts;
  }

  /** Management API requests without a `PublisherIdentifier` parameter. */
  get missingPublisherIdentifier(): number {
    return this.#management().filter((e) => e.publisherIdentifier === undefined).length;
  }

  /** Management API requests whose `PublisherIdentifier` is not the expected tenant GUID. */
  get wrongPublisherIdentifier(): number {
    return this.#management().filter(
      (e) =>
        e.publisherIdentifier !== undefined &&
        e.publisherIdentifier.toLowerCase() !== this.#expectedPublisher.toLowerCase(),
    ).length;
  }

  /** Management API requests without a valid bearer token. */
  get unauthorized(): number {
    return this.#management().filter((e) => !e.bearerValid).length;
  }

  /** TLS handshakes that failed, e.g. because the client does not trust the simulator's CA. */
  get tlsFailures(): number {
    return this.#tlsFailures;
  }

  noteTlsFailure(): void {
    this.#tlsFailures += 1;
  }

  /** Forgets every entry (counters restart; arrival numbers keep growing). */
  clear(): void {
    this.#entries.length = 0;
  }

  #management(): LoggedRequest[] {
    return this.#entries.filter((e) => MANAGEMENT_ROUTES.has(e.route));
  }
}
