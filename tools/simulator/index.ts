/** Office 365 simulator: Entra ID token endpoint and Management Activity API for integration tests and demos. */
export { startO365Simulator } from './simulator.ts';
export type { O365Simulator } from './simulator.ts';
export type { DataOptions, LargeBlobSpec, SimulatorOptions } from './options.ts';
export type { ActiveFault, FaultFiring, FaultKind, FaultMatch, FaultSpec, RouteName } from './faults.ts';
export { FAULT_KINDS, ROUTES } from './faults.ts';
export type { LoggedRequest, RequestLog } from './request-log.ts';
export type { ClientAuthMethod, IssuedToken } from './entra/tokens.ts';
export type { ContentDescriptor } from './management/store.ts';
export type { StartRequest, SubscriptionState } from './management/subscriptions.ts';
export type { AuditRecord } from './management/records/index.ts';
export { CONTENT_TYPES, isContentType } from './management/content-types.ts';
export type { ContentType } from './management/content-types.ts';
export { formatApiTime, parseApiTime } from './management/window.ts';
