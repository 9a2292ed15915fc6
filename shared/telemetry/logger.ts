/**
 * The logging surface shared code needs. Both `console` and the Functions `InvocationContext` satisfy it, so library
 * code logs through whatever the caller hands in and never decides where logs go.
 */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

/** For callers that do not want the output, such as benchmarks. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
