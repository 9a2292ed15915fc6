import type { TokenRegistry } from './entra/tokens.ts';
import type { FaultRegistry, RouteName } from './faults.ts';
import type { Reply } from './http.ts';
import type { BlobStore } from './management/store.ts';
import type { Subscriptions } from './management/subscriptions.ts';
import type { TraceState } from './trace/state.ts';
import type { ResolvedOptions } from './options.ts';
import type { LoggedRequest, RequestLog } from './request-log.ts';

/** Shared state every route module works on. */
export interface SimContext {
  origin: string;
  options: ResolvedOptions;
  now(): number;
  tokens: TokenRegistry;
  faults: FaultRegistry;
  log: RequestLog;
  subscriptions: Subscriptions;
  store: BlobStore;
  /** Message trace data and switches (Graph and RWS). */
  trace: TraceState;
  onRequest?: ((entry: Readonly<LoggedRequest>) => void) | undefined;
}

/** A request matched to a route, ready to be handled (after faults had their say). */
export interface RouteMatch {
  route: RouteName;
  /** Which error vocabulary fault replies use. */
  family: 'entra' | 'management' | 'graph' | 'rws';
  contentType?: string | undefined;
  contentId?: string | undefined;
  /** Bearer token verdict, for routes that take one (logged). */
  bearerValid?: boolean;
  handle(): Reply | Promise<Reply>;
}
