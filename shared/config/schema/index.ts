/**
 * The one list of app settings. README's table, `local.settings.sample.json` and the Bicep app settings are checked
 * against it; collectors read their settings only through the readers.
 */
import type { SettingSpec } from '../spec.ts';
import { DEDUPE_SETTINGS } from './dedupe.ts';
import { DEVO_SETTINGS } from './devo.ts';
import { MANAGEMENT_SETTINGS } from './management.ts';
import { MESSAGE_TRACE_SETTINGS } from './messagetrace.ts';
import { O365_SETTINGS } from './o365.ts';
import { RUNTIME_SETTINGS } from './runtime.ts';
import { SCHEDULE_SETTINGS } from './schedules.ts';
import { STORAGE_SETTINGS } from './storage.ts';

export * from './dedupe.ts';
export * from './devo.ts';
export * from './management.ts';
export * from './messagetrace.ts';
export * from './o365.ts';
export * from './runtime.ts';
export * from './schedules.ts';
export * from './storage.ts';

/** Every setting, in README order. */
export const ALL_SETTINGS: readonly SettingSpec<unknown>[] = [
  ...STORAGE_SETTINGS,
  ...O365_SETTINGS,
  ...DEVO_SETTINGS,
  ...DEDUPE_SETTINGS,
  ...SCHEDULE_SETTINGS,
  ...MANAGEMENT_SETTINGS,
  ...MESSAGE_TRACE_SETTINGS,
  ...RUNTIME_SETTINGS,
];
