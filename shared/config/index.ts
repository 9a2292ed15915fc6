export { ConfigError, isConfigError, formatProblem, type SettingProblem } from './errors.ts';
export { CLOUDS, CLOUD_ENDPOINTS, type Cloud } from './clouds.ts';
export { maskIdentifier } from './mask.ts';
export { normalizePem } from './pem.ts';
export {
  readDedupeSettings,
  readDevoSettings,
  readO365Settings,
  readStorageSettings,
  filterMegabytes,
  type O365Settings,
} from './readers.ts';
export { ALL_SETTINGS } from './schema/index.ts';
export { renderSettingsTable } from './docs.ts';
export type { Env, SettingSpec } from './spec.ts';
export type { DedupeSettings, DevoSettings, StorageSettings } from './settings-types.ts';
export {
  readCommonConfig,
  readHttpSettings,
  readLogLevel,
  readManagementConfig,
  readMessageTraceConfig,
  readTogether,
  type CommonConfig,
  type HttpSettings,
  type LogLevel,
  type ManagementConfig,
  type MessageTraceConfig,
  type ObfuscationSettings,
} from './collector-config.ts';
export { nextOccurrence, parseNcrontab, type Schedule } from './ncrontab.ts';
export { MANAGEMENT_API_HOSTS } from './clouds.ts';
export * as settings from './schema/index.ts';
