import { cloudOf } from './cloud-of.ts';
import { MANAGEMENT_API_HOSTS } from '../clouds.ts';
import { fail, httpsOriginSetting, integerSetting, quote, rawValue, textSetting, type SettingSpec } from '../spec.ts';

export const managementApiUrl = httpsOriginSetting(
  {
    name: 'MANAGEMENT_API_URL',
    errorId: 50,
    description: 'Management Activity API base URL.',
    defaultValue: undefined,
    defaultText:
      'per `O365_CLOUD`: `https://manage.office.com`, `https://manage-gcc.office.com`, `https://manage.office365.us`, `https://manage.protection.apps.mil`',
  },
  (env) => MANAGEMENT_API_HOSTS[cloudOf(env)],
);

export const managementApiResource = httpsOriginSetting(
  {
    name: 'MANAGEMENT_API_RESOURCE',
    errorId: 51,
    description: 'Token audience for the Management Activity API (the token scope is this value + `/.default`).',
    defaultValue: undefined,
    defaultText: 'the value of `MANAGEMENT_API_URL`',
  },
  (env) => managementApiUrl.parse(rawValue(env, managementApiUrl), env),
);

const ISO_UTC = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?Z)?$/;

/** The first start time; `undefined` means "as far back as the API allows" (7 days). */
export const managementStartTime: SettingSpec<string | undefined> = {
  name: 'MANAGEMENT_START_TIME',
  errorId: 1,
  seedName: 'start_time_in_utc',
  description:
    "Where a Management function starts when it has no cursor. Setting a new value resets that function's persistence (cursor, filter, retry list), which the log reports; removing it keeps the cursor (the log says so once), and setting the same value again changes nothing. Older than 7 days is clamped to the API's limit.",
  defaultValue: undefined,
  defaultText: '7 days back',
  allowed: 'ISO 8601 UTC, e.g. `2026-11-01T00:00:00Z`',
  parse(raw) {
    if (raw === undefined) return undefined;
    const ms = ISO_UTC.test(raw) ? Date.parse(raw) : Number.NaN;
    if (Number.isNaN(ms)) {
      fail(
        managementStartTime,
        `${quote(raw)} is not an ISO 8601 UTC time.`,
        'use the form 2026-11-01T00:00:00Z (UTC, with the Z).',
      );
    }
    if (ms > Date.now())
      fail(
        managementStartTime,
        `${raw} is in the future.`,
        'use a time in the past, or leave it unset for 7 days back.',
      );
    return new Date(ms).toISOString();
  },
};

export const fetchConcurrency = integerSetting({
  name: 'MANAGEMENT_FETCH_CONCURRENCY',
  errorId: 52,
  description: 'Content blobs fetched at the same time per function.',
  min: 1,
  max: 64,
  default: 8,
});

export const relistSeconds = integerSetting({
  name: 'MANAGEMENT_RELIST_SECONDS',
  errorId: 56,
  description:
    'Each run lists again this span before its cursor, so a blob Microsoft lists late (its contentCreated already passed) is still collected; blobs already done are skipped, not fetched again.',
  min: 0,
  max: 43_200,
  default: 900,
});

export const requestsPerSecond = integerSetting({
  name: 'REQUESTS_PER_SECOND',
  errorId: 53,
  description:
    'Optional cap on API requests per second per function instance (the tenant quota is about 2,000 per minute across all functions).',
  min: 1,
  max: 1000,
  allowed: 'whole number 1..1000, or unset for no cap',
});

export const obfuscateFields = textSetting({
  name: 'OBFUSCATE_FIELDS',
  errorId: 54,
  description:
    'Comma-separated JSON field names whose values are replaced by a keyed hash (HMAC-SHA256 with `OBFUSCATION_KEY`) before sending, at any depth.',
  allowed: 'comma-separated field names',
  pattern: /^[^,\s]+(\s*,\s*[^,\s]+)*$/,
  problem: 'is not a comma-separated list of field names.',
  fix: 'list field names such as UserId,ClientIP.',
});

export const obfuscationKey = textSetting({
  name: 'OBFUSCATION_KEY',
  errorId: 55,
  secret: true,
  description: 'Secret key of the obfuscation hash; the same key gives the same pseudonym, so events still correlate.',
  defaultText: 'required with `OBFUSCATE_FIELDS`',
  allowed: 'at least 16 characters',
  pattern: /^.{16,}$/,
  problem: 'is shorter than 16 characters.',
  fix: 'use a random key of at least 16 characters (a Key Vault reference in Azure).',
});

/** In README order. */
export const MANAGEMENT_SETTINGS: readonly SettingSpec<unknown>[] = [
  managementApiUrl,
  managementApiResource,
  managementStartTime,
  fetchConcurrency,
  relistSeconds,
  requestsPerSecond,
  obfuscateFields,
  obfuscationKey,
];
