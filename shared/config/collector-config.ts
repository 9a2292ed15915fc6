import { ConfigError, isConfigError, type SettingProblem } from './errors.ts';
import {
  readAll,
  readDedupeSettings,
  readDevoSettings,
  readO365Settings,
  readStorageSettings,
  type O365Settings,
} from './readers.ts';
import * as S from './schema/index.ts';
import type { DedupeSettings, DevoSettings, StorageSettings } from './settings-types.ts';
import { collect, rawValue, type Env } from './spec.ts';

export interface HttpSettings {
  timeoutMs: number;
  retries: number;
  retryWaitMs: number;
  maxRetryWaitMs: number;
  requestsPerSecond?: number;
}

export interface ObfuscationSettings {
  fields: readonly string[];
  key: string;
}

/** What every collector needs: where to read from, where to send, where to keep state, how long it may run. */
export interface CommonConfig {
  o365: O365Settings;
  devo: DevoSettings;
  storage: StorageSettings;
  dedupe: DedupeSettings;
  http: HttpSettings;
  functionTimeoutMs: number;
}

export interface ManagementConfig extends CommonConfig {
  apiUrl: string;
  resource: string;
  /** The MANAGEMENT_START_TIME value, normalised; undefined = 7 days back. */
  startTime: string | undefined;
  fetchConcurrency: number;
  /** Each run lists again this span before its cursor. */
  relistMs: number;
  obfuscation: ObfuscationSettings | undefined;
}

/** Runs every reader and reports all their problems together, so one failed start lists everything to fix. */
export function readTogether<T extends object>(readers: { [K in keyof T]: () => T[K] }): T {
  const problems: SettingProblem[] = [];
  const result = {} as T;
  for (const key of Object.keys(readers) as (keyof T)[]) {
    try {
      result[key] = readers[key]();
    } catch (err) {
      if (!isConfigError(err)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

export type LogLevel = 'info' | 'debug';

/** LOG_LEVEL: whether local runs print the debug traces. */
export function readLogLevel(env: Env): LogLevel {
  return readAll((problems) => collect(S.logLevel, env, problems));
}

export function readHttpSettings(env: Env): HttpSettings {
  return readAll((problems) => {
    const rps = collect(S.requestsPerSecond, env, problems);
    return {
      timeoutMs: (collect(S.httpTimeoutSeconds, env, problems) as number) * 1000,
      retries: collect(S.httpRetries, env, problems) as number,
      retryWaitMs: (collect(S.httpRetryWaitSeconds, env, problems) as number) * 1000,
      maxRetryWaitMs: (collect(S.httpMaxRetryWaitSeconds, env, problems) as number) * 1000,
      ...(rps === undefined ? {} : { requestsPerSecond: rps }),
    };
  });
}

export function readCommonConfig(env: Env): CommonConfig {
  return readTogether<CommonConfig>({
    o365: () => readO365Settings(env),
    devo: () => readDevoSettings(env),
    storage: () => readStorageSettings(env),
    dedupe: () => readDedupeSettings(env),
    http: () => readHttpSettings(env),
    functionTimeoutMs: () => readAll((problems) => collect(S.functionTimeout, env, problems)),
  });
}

function readObfuscation(env: Env): ObfuscationSettings | undefined {
  return readAll((problems) => {
    const fields = collect(S.obfuscateFields, env, problems);
    const key = collect(S.obfuscationKey, env, problems);
    if (fields === undefined) return undefined;
    if (key === undefined) {
      if (rawValue(env, S.obfuscationKey) === undefined) {
        problems.push({
          errorId: S.obfuscationKey.errorId,
          setting: S.obfuscationKey.name,
          problem: 'is not set although OBFUSCATE_FIELDS is.',
          fix: S.obfuscationKey.fix,
        });
      }
      return undefined;
    }
    return { fields: fields.split(',').map((f) => f.trim()), key };
  });
}

export function readManagementConfig(env: Env): ManagementConfig {
  const { common, own, obfuscation } = readTogether({
    common: () => readCommonConfig(env),
    own: () =>
      readAll((problems) => ({
        apiUrl: collect(S.managementApiUrl, env, problems) as string,
        resource: collect(S.managementApiResource, env, problems) as string,
        startTime: collect(S.managementStartTime, env, problems),
        fetchConcurrency: collect(S.fetchConcurrency, env, problems) as number,
        relistMs: (collect(S.relistSeconds, env, problems) as number) * 1000,
      })),
    obfuscation: () => readObfuscation(env),
  });
  return { ...common, ...own, obfuscation };
}

export interface MessageTraceConfig extends CommonConfig {
  api: 'graph' | 'rws';
  url: string;
  resource: string;
  delayMs: number;
  daysBack: number;
  marginMs: number;
  /** MESSAGE_TRACE_RESET; a value different from the stored one clears the persistence. */
  reset: string | undefined;
  outputFormat: 'legacy' | 'graph';
  organization: string;
  requestsPer5Minutes: number;
}

const DAY_SECONDS = 86_400;

/**
 * Each run collects from its start to the live edge `now − MESSAGE_TRACE_DELAY_SECONDS` (whole seconds), and no
 * start is older than `now − MESSAGE_TRACE_DAYS_BACK days + MESSAGE_TRACE_MARGIN_SECONDS` (`oldestStart` in
 * shared/messagetrace/collector.ts). All three are whole seconds, so the window is non-empty exactly when
 * days·86400 − margin > delay; otherwise every run stops before its first request and nothing is ever collected.
 * (The Graph 90-day limit cannot close the window: the delay is at most 2 days and the margin at most 1.)
 */
function messageTraceWindowProblem(
  delaySeconds: number,
  daysBack: number,
  marginSeconds: number,
): SettingProblem | undefined {
  const reach = daysBack * DAY_SECONDS - marginSeconds;
  if (reach > delaySeconds) return undefined;
  const fewestDays = Math.floor((delaySeconds + marginSeconds) / DAY_SECONDS) + 1;
  return {
    errorId: S.messageTraceDaysBack.errorId,
    setting: S.messageTraceDaysBack.name,
    problem:
      `${daysBack} day(s) back less MESSAGE_TRACE_MARGIN_SECONDS (${marginSeconds}) is ${reach} seconds, not more ` +
      `than MESSAGE_TRACE_DELAY_SECONDS (${delaySeconds}): the oldest start allowed is never earlier than the newest ` +
      'end requested (now minus the delay), so nothing would ever be collected.',
    fix:
      `raise MESSAGE_TRACE_DAYS_BACK to at least ${fewestDays}, or make MESSAGE_TRACE_DELAY_SECONDS plus ` +
      `MESSAGE_TRACE_MARGIN_SECONDS less than ${daysBack * DAY_SECONDS}. Leave more room than the time between ` +
      'runs: rows that fall behind the oldest start are skipped with a warning.',
  };
}

export function readMessageTraceConfig(env: Env): MessageTraceConfig {
  const { common, own } = readTogether({
    common: () => readCommonConfig(env),
    own: () =>
      readAll((problems) => {
        const api = collect(S.messageTraceApi, env, problems);
        const required = (spec: typeof S.messageTraceUrl): string => {
          const value = collect(spec, env, problems);
          if (value === undefined && rawValue(env, spec) === undefined) {
            problems.push({
              errorId: spec.errorId,
              setting: spec.name,
              problem: `has no known default for the ${api} back end in this cloud (O365_CLOUD=${rawValue(env, 'O365_CLOUD') ?? 'commercial'}).`,
              fix: 'set it to the message trace host (and token audience) your tenant uses.',
            });
          }
          return value as string;
        };
        const delaySeconds = collect(S.messageTraceDelaySeconds, env, problems);
        const daysBack = collect(S.messageTraceDaysBack, env, problems);
        const marginSeconds = collect(S.messageTraceMarginSeconds, env, problems);
        if (delaySeconds !== undefined && daysBack !== undefined && marginSeconds !== undefined) {
          const problem = messageTraceWindowProblem(delaySeconds, daysBack, marginSeconds);
          if (problem !== undefined) problems.push(problem);
        }
        return {
          api,
          url: required(S.messageTraceUrl),
          resource: required(S.messageTraceResource),
          delayMs: (delaySeconds as number) * 1000,
          daysBack: daysBack as number,
          marginMs: (marginSeconds as number) * 1000,
          reset: collect(S.messageTraceReset, env, problems),
          outputFormat: collect(S.messageTraceOutputFormat, env, problems),
          organization: collect(S.messageTraceOrganization, env, problems) ?? rawValue(env, 'O365_TENANT_ID') ?? '',
          requestsPer5Minutes: collect(S.messageTraceRequestsPer5Minutes, env, problems) as number,
        };
      }),
  });
  return { ...common, ...own };
}
