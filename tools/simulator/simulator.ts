import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimContext } from './context.ts';
import type { IssuedToken } from './entra/tokens.ts';
import { TokenRegistry } from './entra/tokens.ts';
import { FaultRegistry } from './faults.ts';
import type { ContentType } from './management/content-types.ts';
import { isContentType } from './management/content-types.ts';
import { DataGenerator, serialize } from './management/data.ts';
import type { AuditRecord } from './management/records/index.ts';
import { createDirectory } from './management/records/index.ts';
import type { ContentDescriptor } from './management/store.ts';
import { arraySource, BlobStore } from './management/store.ts';
import { Subscriptions } from './management/subscriptions.ts';
import type { ResolvedOptions, SimulatorOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { createRandom } from './random.ts';
import { RequestLog } from './request-log.ts';
import { createDispatcher } from './server.ts';
import type { TraceStatus } from './trace/model.ts';
import type { ExpectedTraceQuery, ExpectedTraceRow, MessageTraceSettings } from './trace/state.ts';
import { createTraceState, expectedRows } from './trace/state.ts';
import type { NewTraceMessage, TraceMessageInfo } from './trace/store.ts';

/** Message trace switches tests flip while running, and the Graph quota's state. */
export interface MessageTraceControl extends MessageTraceSettings {
  /** Graph requests refused by the quota (429) so far; fault-injected 429s are not counted. */
  readonly throttled: number;
  /** Empties the Graph quota window. */
  resetThrottle(): void;
}

/** A running simulator: its identity, the knobs tests turn, and what it observed. */
export interface O365Simulator {
  /** `https://127.0.0.1:<port>`: also the Entra ID authority host and, by default, the token resource. */
  readonly origin: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Token audience of the Management API. */
  readonly resource: string;
  /** `<resource>/.default`, the v2 scope to ask for. */
  readonly scope: string;
  /** Same as `origin`; pass it as `authorityHost` (with `disableInstanceDiscovery: true`). */
  readonly authorityHost: string;
  readonly tokenEndpoint: string;
  /** `<origin>/api/v1.0/<tenant>/activity/feed`. */
  readonly feedRoot: string;
  /** Token audience of Graph message trace, and its scope (`<graphResource>/.default`). */
  readonly graphResource: string;
  readonly graphScope: string;
  /** Token audience of the Reporting Web Service, and its scope. */
  readonly rwsResource: string;
  readonly rwsScope: string;
  /** `<origin>/v1.0/admin/exchange/tracing/messageTraces` (also served under `/beta`). */
  readonly messageTracesUrl: string;
  /** `<origin>/ecp/reportingwebservice/reporting.svc/MessageTrace`. */
  readonly rwsMessageTraceUrl: string;
  readonly messageTrace: MessageTraceControl;
  readonly faults: FaultRegistry;
  readonly log: RequestLog;
  readonly subscriptions: Subscriptions;
  /** Issued tokens (records, never the token text) and `revokeAll()`. */
  readonly tokens: { readonly issued: readonly IssuedToken[]; revokeAll(): void };
  /** The simulator clock. */
  now(): number;
  /** Unique records of a content type, as the exact JSON text served, optionally only from blobs created in `[from, to)`. */
  expectedUniqueRecords(contentType: ContentType, filter?: { from?: number; to?: number }): string[];
  /** Descriptors of every blob of a content type (available or not yet), in listing order. */
  contentDescriptors(contentType: ContentType): ContentDescriptor[];
  /** Records of one blob as served, duplicates included. */
  blobRecords(contentId: string): string[];
  /** Adds a blob (listable once the clock reaches `contentCreated`, default now). Strings are kept byte for byte. */
  addBlob(
    contentType: ContentType,
    records: ReadonlyArray<AuditRecord | string>,
    contentCreated?: number,
  ): ContentDescriptor;
  /** New realistic records (not stored) with event times before `around` (default now). */
  generateRecords(contentType: ContentType, count: number, around?: number): AuditRecord[];
  /** Makes a blob expire now; false when no such blob. */
  expireBlob(contentId: string): boolean;
  /**
   * Message trace rows a query for `[from, to]` (inclusive, epoch ms) made at `visibleAt` (default now) returns,
   * newest first, each as the exact Graph object and as the RWS legacy entry.
   */
  expectedMessageTraceRows(query?: ExpectedTraceQuery): ExpectedTraceRow[];
  /**
   * Adds messages: a count of generated ones received now, or partial descriptions (the rest generated). Rows show
   * up once the clock reaches their `visibleAt` (default when received).
   */
  addMessages(messages: number | ReadonlyArray<NewTraceMessage>): TraceMessageInfo[];
  /**
   * Changes the status of one row (message trace id and recipient) from `at` on (default now): queries made from
   * then on show the new status (and size / toIP when given). Throws when there is no such row.
   */
  setMessageTraceStatus(
    id: string,
    recipientAddress: string,
    status: TraceStatus,
    change?: { at?: number; size?: number; toIP?: string },
  ): void;
  /** Stops listening, drops open connections and cancels pending delays. */
  close(): Promise<void>;
}

/** URL host part for an address (IPv6 in brackets); wildcard binds are reached through localhost. */
function originHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function assertContentType(value: string): asserts value is ContentType {
  if (!isContentType(value)) throw new TypeError(`unknown content type: ${value}`);
}

/**
 * Starts an HTTPS server playing Entra ID's token endpoint and the Office 365 Management Activity API for one
 * tenant, filled with seeded data. Resolves once it listens.
 */
export async function startO365Simulator(options: SimulatorOptions): Promise<O365Simulator> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer({ cert: options.cert, key: options.key });
  // Microsoft's front ends keep idle connections for minutes; Node's 5 s default would race pooled clients into
  // resets that the real service does not cause. close() drops idle connections anyway.
  server.keepAliveTimeout = 120_000;
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const origin = `https://${originHost(host)}:${port}`;

  const seed = options.data?.seed ?? 1;
  const random = createRandom(seed);
  let o: ResolvedOptions;
  try {
    o = resolveOptions(options, origin, random.fork('identity'));
  } catch (err) {
    // A bad option must not leave a listening server behind (the test process would never exit).
    server.close();
    throw err;
  }
  const now = options.now ?? Date.now;
  const feedRoot = `${origin}/api/v1.0/${o.tenantId}/activity/feed`;
  const store = new BlobStore(feedRoot, o.tenantId, o.contentLifetimeMs, random.fork('store'));
  const directory = createDirectory(random.fork('directory'));
  const generator = new DataGenerator(random.fork('data'), o.tenantId, directory);
  const startedAt = now();
  generator.populate(store, o, startedAt);
  const trace = createTraceState(random.fork('trace'), directory, o.trace, startedAt);

  const sim: SimContext = {
    origin,
    options: o,
    now,
    tokens: new TokenRegistry(random.fork('tokens'), o.tokenLifetimeSeconds),
    faults: new FaultRegistry(createRandom(options.faultSeed ?? seed, 0xfa17)),
    log: new RequestLog(o.publisherIdentifier),
    subscriptions: new Subscriptions(o.enabledContentTypes, o.startCooldownMs),
    store,
    trace,
    onRequest: options.onRequest,
  };
  const messageTrace: MessageTraceControl = {
    get servicePrincipalMissing() {
      return trace.settings.servicePrincipalMissing;
    },
    set servicePrincipalMissing(value: boolean) {
      trace.settings.servicePrincipalMissing = value;
    },
    get rwsForbidden() {
      return trace.settings.rwsForbidden;
    },
    set rwsForbidden(value: boolean) {
      trace.settings.rwsForbidden = value;
    },
    get rwsShape() {
      return trace.settings.rwsShape;
    },
    set rwsShape(value) {
      if (value !== 'light' && value !== 'verbose') throw new TypeError(`unknown RWS shape: ${String(value)}`);
      trace.settings.rwsShape = value;
    },
    get throttled() {
      return trace.throttle.refused;
    },
    resetThrottle: () => trace.throttle.reset(),
  };
  for (const spec of options.faults ?? []) sim.faults.add(spec);

  const closing = new AbortController();
  server.on('request', createDispatcher(sim, closing.signal));
  server.on('tlsClientError', () => sim.log.noteTlsFailure());
  let closed: Promise<void> | undefined;

  return {
    origin,
    tenantId: o.tenantId,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    resource: o.resource,
    scope: `${o.resource}/.default`,
    authorityHost: origin,
    tokenEndpoint: `${origin}/${o.tenantId}/oauth2/v2.0/token`,
    feedRoot,
    graphResource: o.graphResource,
    graphScope: `${o.graphResource}/.default`,
    rwsResource: o.rwsResource,
    rwsScope: `${o.rwsResource}/.default`,
    messageTracesUrl: `${origin}/v1.0/admin/exchange/tracing/messageTraces`,
    rwsMessageTraceUrl: `${origin}/ecp/reportingwebservice/reporting.svc/MessageTrace`,
    messageTrace,
    faults: sim.faults,
    log: sim.log,
    subscriptions: sim.subscriptions,
    tokens: sim.tokens,
    now,
    expectedUniqueRecords: (contentType, filter) => {
      assertContentType(contentType);
      return store.uniqueRecords(contentType, filter);
    },
    contentDescriptors: (contentType) => {
      assertContentType(contentType);
      return store.blobs(contentType).map((b) => store.descriptor(b));
    },
    blobRecords: (contentId) => {
      const blob = store.get(contentId);
      if (blob === undefined) throw new RangeError(`no blob ${contentId}`);
      return Array.from({ length: blob.records.length }, (_, i) => blob.records.at(i).text);
    },
    addBlob: (contentType, records, contentCreated) => {
      assertContentType(contentType);
      if (records.length === 0) throw new RangeError('a blob holds at least one record');
      return store.descriptor(store.add(contentType, arraySource(records.map(serialize)), contentCreated ?? now()));
    },
    generateRecords: (contentType, count, around) => {
      assertContentType(contentType);
      return generator.records(contentType, count, around ?? now());
    },
    expireBlob: (contentId) => store.expire(contentId, now()),
    expectedMessageTraceRows: (query = {}) => expectedRows(trace, origin, query, now()),
    addMessages: (messages) => trace.store.add(messages, now()),
    setMessageTraceStatus: (id, recipientAddress, status, change = {}) => {
      const { at, ...rest } = change;
      if (!trace.store.change(id, recipientAddress, { status, ...rest }, at ?? now()))
        throw new RangeError(`no message trace row ${id} / ${recipientAddress}`);
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
