import { SettingProblemError } from './errors.ts';

/** The environment the settings come from: app settings in Azure, `local.settings.json` Values locally. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Everything the docs table, the sample settings file and the Bicep check need to know about one setting. */
export interface SettingSpec<T> {
  name: string;
  errorId: number;
  /** One sentence for the README table. */
  description: string;
  /** The default as a user would type it; `undefined` when the setting is required or has no default. */
  defaultValue: string | undefined;
  /** Human text for the default when it is computed (for example "per O365_CLOUD"). */
  defaultText?: string;
  /** Accepted values, for the README table. */
  allowed: string;
  /** Which legacy collector parameter it replaces. */
  seedName?: string;
  /** Never echoed in errors or logs. */
  secret?: boolean;
  /**
   * Used exactly as set, spaces at either end included, where they can be part of the value (a passphrase); only an
   * empty value counts as unset. Every other setting is trimmed.
   */
  verbatim?: boolean;
  /**
   * Where the setting is used: `local` only in local.settings.json (a connection string for Azurite), `azure` only as
   * an app setting written by Bicep (identity-based storage). Default: both.
   */
  where?: 'local' | 'azure';
  /**
   * Parse the raw value (already trimmed unless `verbatim`; empty counts as unset). `env` lets a default depend on
   * another setting.
   */
  parse(raw: string | undefined, env: Env): T;
}

/**
 * Reads a setting, by its spec or its name: unset and blank values both mean "not set", so an empty app setting falls
 * back to the default. A `verbatim` spec's value is kept as set, spaces included, and only an empty one is unset.
 */
export function rawValue(
  env: Env,
  setting: string | Pick<SettingSpec<unknown>, 'name' | 'verbatim'>,
): string | undefined {
  const spec = typeof setting === 'string' ? { name: setting } : setting;
  const value = spec.verbatim === true ? env[spec.name] : env[spec.name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function fail(spec: Pick<SettingSpec<unknown>, 'name' | 'errorId'>, problem: string, fix: string): never {
  throw new SettingProblemError({ errorId: spec.errorId, setting: spec.name, problem, fix });
}

/** The problem of a required setting that is not set. */
export function missing(spec: SettingSpec<unknown>, fix: string): SettingProblemError['detail'] {
  return { errorId: spec.errorId, setting: spec.name, problem: 'is not set.', fix };
}

/** Quotes a user's value for an error message, shortened so a pasted certificate does not flood the log. */
export function quote(value: string): string {
  const short = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(short);
}

type Base = Omit<SettingSpec<unknown>, 'parse' | 'allowed' | 'defaultValue'> & { allowed?: string };

export function integerSetting(
  base: Base & { min: number; max: number; default?: number; fix?: string },
): SettingSpec<number | undefined> {
  const spec = {
    ...base,
    allowed: base.allowed ?? `whole number ${base.min}..${base.max}`,
    defaultValue: base.default === undefined ? undefined : String(base.default),
    parse(raw: string | undefined): number | undefined {
      if (raw === undefined) return base.default;
      const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(value)) {
        fail(
          spec,
          `${quote(raw)} is not a whole number.`,
          base.fix ?? `use a whole number from ${base.min} to ${base.max}.`,
        );
      }
      if (value < base.min || value > base.max) {
        fail(
          spec,
          `${value} is out of range ${base.min}..${base.max}.`,
          base.fix ?? `use a value from ${base.min} to ${base.max}.`,
        );
      }
      return value;
    },
  };
  return spec;
}

export function numberSetting(
  base: Base & { min: number; max: number; minExclusive?: boolean; default: number; fix: string },
): SettingSpec<number> {
  const spec = {
    ...base,
    allowed: base.allowed ?? `number ${base.minExclusive ? '>' : '>='} ${base.min} and <= ${base.max}`,
    defaultValue: String(base.default),
    parse(raw: string | undefined): number {
      if (raw === undefined) return base.default;
      const value = Number(raw);
      const tooLow = base.minExclusive ? value <= base.min : value < base.min;
      if (!Number.isFinite(value) || /^\s*$/.test(raw)) fail(spec, `${quote(raw)} is not a number.`, base.fix);
      if (tooLow || value > base.max) fail(spec, `${raw} is out of range (${spec.allowed}).`, base.fix);
      return value;
    },
  };
  return spec;
}

export function enumSetting<const V extends string>(
  base: Base & { values: readonly V[]; default: V; fix?: string },
): SettingSpec<V> {
  const spec = {
    ...base,
    allowed: base.allowed ?? base.values.map((v) => `\`${v}\``).join(', '),
    defaultValue: base.default,
    parse(raw: string | undefined): V {
      if (raw === undefined) return base.default;
      const match = base.values.find((v) => v === raw.toLowerCase());
      if (match === undefined) {
        fail(
          spec,
          `${quote(raw)} is not one of ${base.values.join(', ')}.`,
          base.fix ?? `set it to one of ${base.values.join(', ')}.`,
        );
      }
      return match;
    },
  };
  return spec;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function booleanSetting(base: Base & { default: boolean }): SettingSpec<boolean> {
  const spec = {
    ...base,
    allowed: base.allowed ?? '`true` or `false`',
    defaultValue: String(base.default),
    parse(raw: string | undefined): boolean {
      if (raw === undefined) return base.default;
      const word = raw.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return fail(spec, `${quote(raw)} is not true or false.`, 'set it to true or false.');
    },
  };
  return spec;
}

/** A free-text setting with an optional pattern check; secrets are never quoted back. */
export function textSetting(
  base: Base & { default?: string; pattern?: RegExp; problem?: string; fix: string },
): SettingSpec<string | undefined> & { fix: string } {
  const spec = {
    ...base,
    allowed: base.allowed ?? 'text',
    defaultValue: base.default,
    parse(raw: string | undefined): string | undefined {
      if (raw === undefined) return base.default;
      if (base.pattern !== undefined && !base.pattern.test(raw)) {
        const shown = base.secret ? 'The value' : quote(raw);
        fail(spec, `${shown} ${base.problem ?? 'is not valid.'}`, base.fix);
      }
      return raw;
    },
  };
  return spec;
}

/** Parses `value` with `spec`, collecting a problem instead of throwing, so one run reports every bad setting. */
export function collect<T>(spec: SettingSpec<T>, env: Env, problems: SettingProblemError['detail'][]): T {
  const raw = rawValue(env, spec);
  if (raw?.startsWith('@Microsoft.KeyVault(')) {
    problems.push({
      errorId: spec.errorId,
      setting: spec.name,
      problem: 'is a Key Vault reference the platform could not resolve.',
      fix: "check the secret exists and the app's identity has the Key Vault Secrets User role (see the app's Environment variables blade).",
    });
    return undefined as T;
  }
  try {
    return spec.parse(raw, env);
  } catch (err) {
    if (err instanceof SettingProblemError) {
      problems.push(err.detail);
      return undefined as T;
    }
    throw err;
  }
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An `https://host[:port]` origin, with no path: used for login and API hosts so tests can point at loopback. */
export function httpsOriginSetting(
  base: Omit<SettingSpec<string>, 'parse' | 'allowed'>,
  fallback: (env: Env) => string | undefined,
): SettingSpec<string | undefined> {
  const spec: SettingSpec<string | undefined> = {
    ...base,
    allowed: '`https://host[:port]`',
    parse(raw, env) {
      if (raw === undefined) return fallback(env);
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        url = undefined;
      }
      if (
        url?.protocol !== 'https:' ||
        (url.pathname !== '/' && url.pathname !== '') ||
        url.search !== '' ||
        url.username !== ''
      ) {
        fail(
          spec,
          `${quote(raw)} is not an https origin like https://login.microsoftonline.com.`,
          'give only the scheme and host (and port), no path.',
        );
      }
      return url.origin;
    },
  };
  return spec;
}
