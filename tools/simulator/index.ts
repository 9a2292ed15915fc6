/**
 * Office 365 simulator: Entra ID token endpoint, Management Activity API and Exchange message trace (Graph and RWS)
 * for integration tests and demos.
 */
export { startO365Simulator } from './simulator.ts';
export type { O365Simulator } from './simulator.ts';
export type { DataOptions, LargeBlobSpec, SimulatorOptions } from './options.ts';
export type {
  ActiveFault,
  FaultFiring,
  FaultKind,
  FaultMatch,
  FaultSpec,
  InjectedDescriptor,
  PoisonVariant,
  RouteName,
} from './faults.ts';
export { FAULT_KINDS, POISON_VARIANTS, ROUTES } from './faults.ts';
export { CHAOS_DEFAULT_ROUTES, chaosFaults, chaosProbabilities } from './chaos.ts';
export type { ChaosOptions } from './chaos.ts';
export type { LoggedRequest, RequestLog } from './request-log.ts';
export type { ClientAuthMethod, IssuedToken } from './entra/tokens.ts';
export type { ContentDescriptor } from './management/store.ts';
export type { StartRequest, SubscriptionState } from './management/subscriptions.ts';
export type { AuditRecord } from './management/records/index.ts';
export { CONTENT_TYPES, isContentType } from './management/content-types.ts';
export type { ContentType } from './management/content-types.ts';
export { formatApiTime, parseApiTime } from './management/window.ts';
export type { MessageTraceControl } from './simulator.ts';
export type { MessageTraceOptions } from './trace/options.ts';
export type { LagSpec } from './trace/generator.ts';
export type { ThrottleSpec } from './trace/throttle.ts';
export type { GraphMessageTrace, RwsMessageTrace, RwsShape } from './trace/format.ts';
export type { ExpectedTraceQuery, ExpectedTraceRow } from './trace/state.ts';
export type { NewTraceMessage, NewTraceRecipient, TraceMessageInfo } from './trace/store.ts';
export type { TraceStatus } from './trace/model.ts';
export { TRACE_STATUSES } from './trace/model.ts';
export { GRAPH_THROTTLE_MESSAGE, MESSAGE_TRACE_APP_ID, SERVICE_PRINCIPAL_MESSAGE } from './trace/errors.ts';
