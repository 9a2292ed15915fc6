import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../shared/config/index.ts';
import type { LocalStack } from '../../tools/local/stack.ts';
import { checkedForLeaks, testEnv } from './helpers.ts';
import { expireLockOf, stateOf } from './state.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run collect -- <name>` as a user runs it: a child process configured only by environment variables. */
export function collectProcess(stack: LocalStack, name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['tools/collect.ts', name], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...(testEnv(stack) as Record<string, string>), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Once its output is complete, what it printed is checked for leaks with the file's other log lines.
  child.on('close', () => checkedForLeaks(output));
  let done = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { child, exited, hasExited: () => done, output: () => output };
}

/** What the receiver held when the process died. */
export interface Kill {
  /** Lines received before the kill. */
  linesAtKill: number;
  /** Every connection the killed process opened (ids in the receiver's order). */
  connections: ReadonlySet<number>;
}

/** A kill right after the receiver's connections so far: the ids it saw. */
export const killed = (stack: LocalStack): Kill => ({
  linesAtKill: stack.receiver.lines.length,
  connections: new Set(stack.receiver.rawConnections.map((c) => c.id)),
});

/**
 * The deliveries a kill can make Devo receive again: at most two are ever sent and not yet saved (DeliveryPipeline),
 * so the last two connections of the killed process that carried lines. Counted once the rerun is over: bytes the
 * killed process had written may have been read after it died. A killed process closes its sockets too, so the
 * receiver cannot tell a confirmed connection from an interrupted one by itself.
 */
export function interruptedDeliveries(stack: LocalStack, kill: Kill): ReadonlySet<number> {
  const carried = stack.receiver.rawConnections.filter((c) => kill.connections.has(c.id) && c.lines > 0);
  return new Set(carried.map((c) => c.id).slice(-2));
}

/**
 * Runs `npm run collect -- <name>` and SIGKILLs it in the middle of a delivery that follows a saved checkpoint: once
 * its filter blob was written (a confirmed delivery), and then as soon as the receiver holds lines of the next one.
 * Waits on what the receiver and the state container show, never on a fixed delay.
 */
export async function killMidDelivery(stack: LocalStack, name: string, env: Env = {}): Promise<Kill> {
  const { container } = await stateOf(stack);
  const filter = container.getBlobClient(`${name}.bloom`);
  const { child, exited: exit, hasExited, output } = collectProcess(stack, name, env as Record<string, string>);
  const until = async (what: string, condition: () => boolean | Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 120_000;
    while (!(await condition())) {
      assert.ok(!hasExited(), `the run ended before ${what}: ${output()}`);
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await until('its first checkpoint', () => filter.exists());
  assert.ok(
    stack.receiver.rawConnections.some((c) => c.endedByClient),
    'a delivery was confirmed before its checkpoint',
  );
  const saved = stack.receiver.lines.length;
  await until('part of the next delivery arrived', () => stack.receiver.lines.length > saved);
  child.kill('SIGKILL');
  await exit;
  await expireLockOf(stack, name);
  return killed(stack);
}

/**
 * After a kill and a rerun: every expected record arrived, and the only ones that arrived twice had their first copy
 * in a delivery the kill interrupted, never in one saved before them. Returns how many came twice.
 */
export function assertResumedExactly(
  stack: LocalStack,
  kill: Kill,
  expected: readonly string[],
  keyOf: (message: string) => string = (m) => m,
): number {
  const copies = new Map<string, { count: number; firstConnection: number }>();
  for (const line of stack.receiver.lines) {
    const key = keyOf(line.message);
    const seen = copies.get(key);
    if (seen === undefined) copies.set(key, { count: 1, firstConnection: line.connection });
    else seen.count += 1;
  }
  const interrupted = interruptedDeliveries(stack, kill);
  let repeated = 0;
  for (const key of expected) {
    const seen = copies.get(key);
    assert.ok(seen !== undefined, `never arrived: ${key.slice(0, 100)}`);
    if (seen.count === 1) continue;
    repeated += 1;
    assert.equal(seen.count, 2, `arrived ${seen.count} times: ${key.slice(0, 100)}`);
    assert.ok(
      interrupted.has(seen.firstConnection),
      `sent again although its delivery had been checkpointed: ${key.slice(0, 100)} (first on connection ` +
        `${seen.firstConnection}; the killed process's last deliveries: ${[...interrupted].join(', ')})`,
    );
  }
  const interruptedLines = stack.receiver.lines.filter((l) => interrupted.has(l.connection)).length;
  assert.ok(repeated <= interruptedLines, 'no more came twice than the interrupted deliveries held');
  return repeated;
}
