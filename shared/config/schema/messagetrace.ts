import { cloudOf } from './cloud-of.ts';
import { GRAPH_URL, MESSAGE_TRACE_DEFAULTS } from '../clouds.ts';
import {
  enumSetting,
  fail,
  httpsOriginSetting,
  integerSetting,
  rawValue,
  textSetting,
  type Env,
  type SettingSpec,
} from '../spec.ts';

/** The back end in effect: the setting, or the cloud's default. */
export function messageTraceApiOf(env: Env): 'graph' | 'rws' {
  const raw = rawValue(env, 'MESSAGE_TRACE_API')?.toLowerCase();
  return raw === 'graph' || raw === 'rws' ? raw : MESSAGE_TRACE_DEFAULTS[cloudOf(env)].api;
}

const apiChoice = enumSetting({
  name: 'MESSAGE_TRACE_API',
  errorId: 80,
  description:
    'Message trace back end: Microsoft Graph `messageTraces`, or the legacy Reporting Web Service (US Government clouds).',
  values: ['graph', 'rws'],
  default: 'graph',
});

export const messageTraceApi: SettingSpec<'graph' | 'rws'> = {
  ...apiChoice,
  defaultValue: undefined,
  defaultText: '`graph` for commercial and gcc, `rws` for gcchigh and dod',
  parse: (raw, env) => (raw === undefined ? messageTraceApiOf(env) : apiChoice.parse(raw, env)),
};

export const messageTraceUrl = httpsOriginSetting(
  {
    name: 'MESSAGE_TRACE_URL',
    errorId: 81,
    seedName: 'override_base_url',
    description:
      'Message trace base URL. GCC High uses `https://reports.office365.us` (confirm in your tenant); DoD has no documented host and must set it.',
    defaultValue: undefined,
    defaultText: 'Graph: `https://graph.microsoft.com`; RWS: `https://reports.office365.com` (per cloud)',
  },
  (env) => (messageTraceApiOf(env) === 'graph' ? GRAPH_URL : MESSAGE_TRACE_DEFAULTS[cloudOf(env)].rwsUrl),
);

export const messageTraceResource = httpsOriginSetting(
  {
    name: 'MESSAGE_TRACE_RESOURCE',
    errorId: 82,
    seedName: 'override_base_resource_url',
    description: 'Token audience for message trace (the scope is this value + `/.default`).',
    defaultValue: undefined,
    defaultText: 'Graph: `https://graph.microsoft.com`; RWS: `https://outlook.office365.com` (per cloud)',
  },
  (env) => (messageTraceApiOf(env) === 'graph' ? GRAPH_URL : MESSAGE_TRACE_DEFAULTS[cloudOf(env)].rwsResource),
);

export const messageTraceDelaySeconds = integerSetting({
  name: 'MESSAGE_TRACE_DELAY_SECONDS',
  errorId: 83,
  seedName: 'override_delay_in_seconds',
  description: 'Only rows older than now minus this are requested: rows keep appearing for up to 24 hours.',
  min: 1,
  max: 172_800,
  default: 90_000,
});

export const messageTraceDaysBack = integerSetting({
  name: 'MESSAGE_TRACE_DAYS_BACK',
  errorId: 84,
  seedName: 'max_historic_date_cutoff_days_back',
  description:
    'Where the first run starts, and the oldest start ever requested (Graph serves 90 days; older starts are clamped with a warning). Days × 86400 less `MESSAGE_TRACE_MARGIN_SECONDS` must exceed `MESSAGE_TRACE_DELAY_SECONDS`.',
  min: 1,
  max: 1_000_000,
  default: 10,
});

export const messageTraceMarginSeconds = integerSetting({
  name: 'MESSAGE_TRACE_MARGIN_SECONDS',
  errorId: 85,
  seedName: 'max_historic_date_margin_seconds',
  description: 'Keeps the oldest start inside the API limit by the time the request arrives.',
  min: 0,
  max: 86_400,
  default: 60,
});

const RESET_DATE = /^\d{4}-\d{2}-\d{2}$/;

export const messageTraceReset: SettingSpec<string | undefined> = {
  name: 'MESSAGE_TRACE_RESET',
  errorId: 86,
  seedName: 'reset_persistence_auth',
  description:
    'Set a new date to clear the message trace persistence (cursor and filter) and start over; the log says so. Removing it keeps the cursor (the log says so once).',
  defaultValue: undefined,
  allowed: '`YYYY-MM-DD`',
  parse(raw) {
    if (raw === undefined) return undefined;
    if (!RESET_DATE.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
      fail(messageTraceReset, `"${raw}" is not a date like 2026-11-22.`, "use YYYY-MM-DD, for example today's date.");
    }
    return raw;
  },
};

export const messageTraceOutputFormat = enumSetting({
  name: 'MESSAGE_TRACE_OUTPUT_FORMAT',
  errorId: 87,
  description:
    "`legacy` maps Graph rows to the Reporting Web Service field names Devo's parser and alerts read; `graph` sends Graph rows unchanged. RWS rows are always sent as returned.",
  values: ['legacy', 'graph'],
  default: 'legacy',
});

export const messageTraceOrganization = textSetting({
  name: 'MESSAGE_TRACE_ORGANIZATION',
  errorId: 88,
  description:
    "The `Organization` field of mapped Graph rows, e.g. the tenant's default domain `contoso.onmicrosoft.com`.",
  defaultText: 'the tenant ID',
  allowed: 'domain name',
  pattern: /^[A-Za-z0-9.-]+$/,
  problem: 'is not a domain name.',
  fix: "use the tenant's default domain, such as contoso.onmicrosoft.com.",
});

export const messageTraceRequestsPer5Minutes = integerSetting({
  name: 'MESSAGE_TRACE_REQUESTS_PER_5_MINUTES',
  errorId: 89,
  description:
    'Graph requests (retries included) allowed to start in any 5 minutes, shared by back-to-back runs; Microsoft allows 100 per tenant.',
  min: 1,
  max: 100,
  default: 90,
});

/** In README order. */
export const MESSAGE_TRACE_SETTINGS: readonly SettingSpec<unknown>[] = [
  messageTraceApi,
  messageTraceUrl,
  messageTraceResource,
  messageTraceDelaySeconds,
  messageTraceDaysBack,
  messageTraceMarginSeconds,
  messageTraceReset,
  messageTraceOutputFormat,
  messageTraceOrganization,
  messageTraceRequestsPer5Minutes,
];
