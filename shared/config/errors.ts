/**
 * Configuration errors. The IDs are stable and documented: operators search for them, and where the legacy Python
 * collectors had an ID for the same mistake we keep it (their error type was `InitVariablesError`).
 */

/** One thing wrong with one setting. */
export interface SettingProblem {
  /** Stable numeric ID within `InitVariablesError`. */
  errorId: number;
  /** The app setting's name, exactly as it is typed in Azure. */
  setting: string;
  /** What is wrong, without echoing secret values. */
  problem: string;
  /** What to do about it. */
  fix: string;
}

export const CONFIG_ERROR_CODE = 'CONFIG_INVALID';
export const CONFIG_ERROR_TYPE = 'InitVariablesError';

/** Raised once at start-up when settings are missing or invalid; lists every problem found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = CONFIG_ERROR_CODE;
  readonly errorType = CONFIG_ERROR_TYPE;
  readonly errorId: number;
  readonly setting: string;
  readonly problems: readonly SettingProblem[];

  constructor(problems: readonly SettingProblem[]) {
    const [first] = problems;
    if (first === undefined) throw new TypeError('ConfigError needs at least one problem');
    super(problems.map(formatProblem).join('\n'));
    this.errorId = first.errorId;
    this.setting = first.setting;
    this.problems = problems;
  }
}

/** `InitVariablesError 21: DEVO_PORT: "x" is not a whole number. Fix: ...` */
export function formatProblem(p: SettingProblem): string {
  return `${CONFIG_ERROR_TYPE} ${p.errorId}: ${p.setting}: ${p.problem} Fix: ${p.fix}`;
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && (err as { code?: unknown }).code === CONFIG_ERROR_CODE;
}

/** Thrown by a single setting's parser; collected into a ConfigError by the reader. */
export class SettingProblemError extends Error {
  readonly detail: SettingProblem;
  constructor(detail: SettingProblem) {
    super(formatProblem(detail));
    this.detail = detail;
  }
}

export function isSettingProblemError(err: unknown): err is SettingProblemError {
  return err instanceof SettingProblemError;
}
