import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { Env } from '../../shared/config/index.ts';
import { MANAGEMENT_FUNCTIONS, tagForWorkload } from '../../shared/management/content-types.ts';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../tools/local/stack.ts';
import { findLeaks, pemFingerprints, type Sensitive } from '../support/leak-check.ts';
import { trustTestCa } from '../support/tls.ts';

/** Every line any recording logger of this test file saw, and the stacks whose secrets and data they must not hold. */
const everyLine: string[] = [];
const stacksSeen = new Set<LocalStack>();

/** Collects log lines so a test can assert on what an operator would read. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => {
    const line = `${level} ${message}`;
    lines.push(line);
    everyLine.push(line);
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** Output of a child process (`npm run collect`) joins the lines checked for leaks. */
export function checkedForLeaks(output: string): void {
  for (const line of output.split('\n')) if (line !== '') everyLine.push(line);
}

/** What the stacks of this file hold that no log line may: identities, secrets, key material, record content. */
function sensitiveOf(stacks: Iterable<LocalStack>): Sensitive {
  const values = new Map<string, string>();
  for (const stack of stacks) {
    const env = stack.env;
    for (const key of ['O365_TENANT_ID', 'O365_CLIENT_ID', 'O365_CLIENT_SECRET'] as const) {
      const value = env[key];
      if (value !== undefined) values.set(value, key);
    }
    for (const key of ['DEVO_KEY', 'DEVO_CERT'] as const) {
      for (const part of pemFingerprints(env[key] ?? '')) values.set(part, `${key} material`);
    }
    for (const row of stack.simulator.expectedMessageTraceRows()) {
      const subject = (row as { subject?: unknown }).subject;
      if (typeof subject === 'string' && subject.trim().length >= 6) values.set(subject, 'a message subject');
    }
  }
  return { values };
}

// Every integration test file that logs through `recordingLogger` is checked for leaks once its tests are done:
// debug traces included, whatever the test itself asserted.
after(() => {
  const leaks = findLeaks(everyLine, sensitiveOf(stacksSeen));
  assert.deepEqual(leaks.slice(0, 20), [], `${leaks.length} log line(s) hold what must never be logged`);
});

/** Settings for an in-process run against the stack: fast retries, a small filter. */
export function testEnv(stack: LocalStack, overrides: Env = {}): Env {
  stacksSeen.add(stack);
  return {
    ...stack.env,
    HTTP_RETRY_WAIT_SECONDS: '1',
    HTTP_TIMEOUT_SECONDS: '5',
    BLOOM_FILTER_SIZE: '100000',
    BLOOM_FILTER_BUFFER_SIZE: '1000',
    ...overrides,
  };
}

export async function runAllManagement(env: Env, logger: Logger = recordingLogger()): Promise<void> {
  for (const fn of MANAGEMENT_FUNCTIONS) await invokeManagementFunction(fn.functionName, env, logger);
}

/** Every line Devo received, grouped by message, with the tags it arrived under. */
function received(stack: LocalStack): Map<string, string[]> {
  const byMessage = new Map<string, string[]>();
  for (const line of stack.receiver.lines) {
    assert.ok(line.valid, `not a Devo line: ${line.raw.toString('utf8').slice(0, 80)}`);
    byMessage.set(line.message, [...(byMessage.get(line.message) ?? []), line.tag]);
  }
  return byMessage;
}

/**
 * Every unique record the simulator served for the content types arrived exactly once (or at least once), byte for
 * byte, under the tag of its Workload, and nothing else arrived.
 */
export function assertDelivered(
  stack: LocalStack,
  contentTypes: readonly string[],
  mode: 'exactly-once' | 'at-least-once' = 'exactly-once',
  others: 'none-expected' | 'ignore' = 'none-expected',
): number {
  const got = received(stack);
  let expectedCount = 0;
  for (const ct of contentTypes) {
    for (const text of stack.simulator.expectedUniqueRecords(ct as never)) {
      expectedCount += 1;
      const tags = got.get(text);
      assert.ok(tags !== undefined, `${ct}: record never arrived: ${text.slice(0, 100)}`);
      const tag = tagForWorkload((JSON.parse(text) as { Workload?: string }).Workload);
      assert.ok(
        tags.every((t) => t === tag),
        `${ct}: record arrived under ${tags.join(', ')} instead of ${tag}`,
      );
      if (mode === 'exactly-once')
        assert.equal(tags.length, 1, `${ct}: record arrived ${tags.length} times: ${text.slice(0, 100)}`);
      got.delete(text);
    }
  }
  if (others === 'none-expected')
    assert.equal(got.size, 0, `unexpected lines arrived: ${[...got.keys()].slice(0, 3).join(' | ')}`);
  return expectedCount;
}

/**
 * Publishes a blob now (content never appears in the past, so it is never behind a cursor) and waits until it is
 * listable: listing windows end on whole seconds before now, so content of the current second waits for a later run.
 */
export async function publish(stack: LocalStack, contentType: string, count: number): Promise<{ contentId: string }> {
  const sim = stack.simulator;
  const descriptor = sim.addBlob(contentType as never, sim.generateRecords(contentType as never, count), Date.now());
  await new Promise((resolve) => setTimeout(resolve, 1100));
  return descriptor;
}

/** Runs `body` against a fresh local stack, closed afterwards whatever happens. */
export async function withStack(options: LocalStackOptions, body: (stack: LocalStack) => Promise<void>): Promise<void> {
  trustTestCa();
  const stack = await startLocalStack(options);
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}
