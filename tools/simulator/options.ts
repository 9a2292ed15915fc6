import type { FaultSpec } from './faults.ts';
import type { LoggedRequest } from './request-log.ts';
import type { ContentType } from './management/content-types.ts';
import { CONTENT_TYPES } from './management/content-types.ts';
import type { Random } from './random.ts';
import type { MessageTraceOptions, ResolvedTraceOptions } from './trace/options.ts';
import { resolveTraceOptions } from './trace/options.ts';
import { DAY, HOUR, MINUTE } from './time.ts';

/** A large blob to add at start, e.g. for memory tests. Its records are built lazily from the seed. */
export interface LargeBlobSpec {
  contentType: ContentType;
  records: number;
  /** Epoch ms; default one hour before the start time. */
  contentCreated?: number;
}

export interface DataOptions {
  /** Seed of everything generated (tenant identity, records, faults); default 1. */
  seed?: number;
  /** Blobs are spread over this span before start (ms); default 2 days. */
  spanMs?: number;
  /** Blobs generated per content type; default 8. */
  blobsPerContentType?: number | Partial<Record<ContentType, number>>;
  /** Each blob holds 1..this many records (duplicates included); default 12. */
  maxRecordsPerBlob?: number;
  /** Share of record slots filled with a repeat of an earlier record (same blob or an earlier blob); default 0.15. */
  duplicateShare?: number;
  largeBlobs?: LargeBlobSpec[];
}

export interface SimulatorOptions {
  /** PEM certificate chain and key the server presents. */
  cert: string | Buffer;
  key: string | Buffer;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Identity of the one tenant and app; generated from the seed when absent. */
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Token audience of the Management API (the v2 scope is this plus `/.default`); default the simulator origin. */
  resource?: string;
  /** Token audience of Microsoft Graph (message trace; scope `<graphResource>/.default`); default the origin. */
  graphResource?: string;
  /** Token audience of the Reporting Web Service (scope `<rwsResource>/.default`); default the origin. */
  rwsResource?: string;
  /** Exchange message trace data and behaviour (Graph `messageTraces` and RWS `MessageTrace`). */
  messageTrace?: MessageTraceOptions;
  /** Clock (epoch ms); default `Date.now`. */
  now?: () => number;
  /** Access token lifetime; default 3599 s. */
  tokenLifetimeSeconds?: number;
  data?: DataOptions;
  /** Subscriptions already enabled at start; default all five. */
  enabledContentTypes?: readonly ContentType[];
  /** Blob descriptors per listing page; default 100. */
  pageSize?: number;
  /** Widest accepted listing window; default 24 h (inclusive). */
  maxWindowMs?: number;
  /** Oldest accepted window start, as an age; default 7 days. */
  maxStartAgeMs?: number;
  /** Error code for window violations: `AF20055` (current docs, default) or `AF20030` (older). */
  windowErrorCode?: 'AF20055' | 'AF20030';
  /** Minimum time between two start requests for one content type; default 15 min. */
  startCooldownMs?: number;
  /** Blob lifetime after `contentCreated`; default 7 days. */
  contentLifetimeMs?: number;
  /** Parameter names in `NextPageUri`: `lower` (`starttime`, as seen in the wild; default) or `camel`. */
  nextPageParamCase?: 'lower' | 'camel';
  /** Copy the request's `PublisherIdentifier` into `NextPageUri`; default false (the client must add it). */
  nextPageKeepsPublisherIdentifier?: boolean;
  /** Refuse Management API requests without the right `PublisherIdentifier` (HTTP 400 AF20001); default false. */
  requirePublisherIdentifier?: boolean;
  /** Expected `PublisherIdentifier`; default the tenant ID. */
  publisherIdentifier?: string;
  /** Seed of probabilistic faults; default the data seed. */
  faultSeed?: number;
  /** Faults active from the start. */
  faults?: FaultSpec[];
  /** Called after each response is written (or abandoned), e.g. to print a request log. */
  onRequest?: (entry: Readonly<LoggedRequest>) => void;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  resource: string;
  graphResource: string;
  rwsResource: string;
  trace: ResolvedTraceOptions;
  publisherIdentifier: string;
  tokenLifetimeSeconds: number;
  seed: number;
  spanMs: number;
  blobsPerContentType: Record<ContentType, number>;
  maxRecordsPerBlob: number;
  duplicateShare: number;
  largeBlobs: LargeBlobSpec[];
  enabledContentTypes: readonly ContentType[];
  pageSize: number;
  maxWindowMs: number;
  maxStartAgeMs: number;
  windowErrorCode: 'AF20055' | 'AF20030';
  startCooldownMs: number;
  contentLifetimeMs: number;
  nextPageParamCase: 'lower' | 'camel';
  nextPageKeepsPublisherIdentifier: boolean;
  requirePublisherIdentifier: boolean;
}

/** An app secret in the shape Entra ID issues (40 characters, `8Q~` after the first three), from the seeded source. */
function secretLike(random: Random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.';
  let text = '';
  for (let i = 0; i < 40; i++) text += random.pick([...alphabet]);
  return `${text.slice(0, 3)}8Q~${text.slice(6)}`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`simulator option ${name} must be a positive number`);
  return value;
}

/** Applies defaults; the identity comes from `random` unless given. */
export function resolveOptions(options: SimulatorOptions, origin: string, random: Random): ResolvedOptions {
  const data = options.data ?? {};
  const tenantId = options.tenantId ?? random.guid();
  const clientId = options.clientId ?? random.guid();
  const clientSecret = options.clientSecret ?? secretLike(random);
  const perType = data.blobsPerContentType;
  const blobsPerContentType = Object.fromEntries(
    CONTENT_TYPES.map((ct) => [ct, typeof perType === 'number' ? perType : (perType?.[ct] ?? 8)]),
  ) as Record<ContentType, number>;
  const duplicateShare = data.duplicateShare ?? 0.15;
  if (!(duplicateShare >= 0 && duplicateShare < 1))
    throw new Error('simulator option data.duplicateShare must be within 0..1');
  return {
    tenantId,
    clientId,
    clientSecret,
    resource: (options.resource ?? origin).replace(/\/+$/, ''),
    graphResource: (options.graphResource ?? origin).replace(/\/+$/, ''),
    rwsResource: (options.rwsResource ?? origin).replace(/\/+$/, ''),
    trace: resolveTraceOptions(options.messageTrace),
    publisherIdentifier: options.publisherIdentifier ?? tenantId,
    tokenLifetimeSeconds: positive('tokenLifetimeSeconds', options.tokenLifetimeSeconds ?? 3599),
    seed: data.seed ?? 1,
    spanMs: positive('data.spanMs', data.spanMs ?? 2 * DAY),
    blobsPerContentType,
    maxRecordsPerBlob: positive('data.maxRecordsPerBlob', data.maxRecordsPerBlob ?? 12),
    duplicateShare,
    largeBlobs: data.largeBlobs ?? [],
    enabledContentTypes: options.enabledContentTypes ?? CONTENT_TYPES,
    pageSize: positive('pageSize', options.pageSize ?? 100),
    maxWindowMs: positive('maxWindowMs', options.maxWindowMs ?? 24 * HOUR),
    maxStartAgeMs: positive('maxStartAgeMs', options.maxStartAgeMs ?? 7 * DAY),
    windowErrorCode: options.windowErrorCode ?? 'AF20055',
    startCooldownMs: options.startCooldownMs ?? 15 * MINUTE,
    contentLifetimeMs: positive('contentLifetimeMs', options.contentLifetimeMs ?? 7 * DAY),
    nextPageParamCase: options.nextPageParamCase ?? 'lower',
    nextPageKeepsPublisherIdentifier: options.nextPageKeepsPublisherIdentifier ?? false,
    requirePublisherIdentifier: options.requirePublisherIdentifier ?? false,
  };
}
