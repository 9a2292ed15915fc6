/**
 * A bad day, compressed: at least a fifth of all API request attempts fail the way real services fail (throttling, 5xx,
 * resets, stalls, bodies cut short or not JSON), the Devo endpoint resets every fourth connection mid-stream and every
 * sixth at its close (everything arrived, the confirmation did not), and `npm run collect` is SIGKILLed at random
 * moments. Every Management function and messageTrace runs through 30 rounds of
 * it, then clean rounds. Every unique record must arrive, and a record may arrive twice only when its first copy
 * went over a connection that was reset or that belonged to a killed process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Env } from '../../shared/config/index.ts';
import { MANAGEMENT_FUNCTIONS } from '../../shared/management/content-types.ts';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { MESSAGE_TRACE_TAG } from '../../shared/messagetrace/collector.ts';
import { invokeMessageTrace } from '../../shared/messagetrace/invoke.ts';
import { traceKey } from '../../shared/messagetrace/mapping.ts';
import type { DevoReceiverFaults } from '../support/devo-receiver.ts';
import type { LocalStack } from '../../tools/local/stack.ts';
import { chaosFaults, CONTENT_TYPES } from '../../tools/simulator/index.ts';
import { checkedForLeaks, recordingLogger, testEnv, withStack } from './helpers.ts';
import { stateOf } from './state.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ROUNDS = 30;
const KILLS = 20;
const DELAY_SECONDS = 5;
const FUNCTIONS = [...MANAGEMENT_FUNCTIONS.map((f) => f.functionName), 'uriRetry', 'messageTrace'];

/** A small seeded generator, so a failing soak can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const invoke = (name: string, env: Env, logger = recordingLogger()) =>
  name === 'messageTrace' ? invokeMessageTrace(env, logger) : invokeManagementFunction(name, env, logger);

/** Runs a function until it was not busy (at most a minute). */
async function untilNotBusy(name: string, env: Env): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const logger = recordingLogger();
    await invoke(name, env, logger);
    if (!logger.lines.some((l) => l.includes(`${name}: busy`))) return;
    assert.ok(Date.now() < until, `${name} stayed busy`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Runs `npm run collect -- <name>` and kills it at a random moment: at once, mid-fetch or mid-delivery. */
async function killedRun(stack: LocalStack, name: string, env: Env, random: () => number): Promise<Set<number>> {
  const before = stack.receiver.rawConnections.length;
  const linesBefore = stack.receiver.lines.length;
  const child = spawn(process.execPath, ['tools/collect.ts', name], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...(env as Record<string, string>) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Output up to the kill joins the lines checked for leaks.
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      checkedForLeaks(output);
      resolve();
    }),
  );
  const limit = Date.now() + 300 + random() * 4000;
  const afterLines = random() < 0.5;
  let done = false;
  void exited.then(() => (done = true));
  while (!done && Date.now() < limit && !(afterLines && stack.receiver.lines.length > linesBefore))
    await new Promise((resolve) => setTimeout(resolve, 10));
  child.kill('SIGKILL');
  await exited;
  // Bytes the dead process had written may still be on their way.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const ids = new Set<number>();
  for (const c of stack.receiver.rawConnections.slice(before)) ids.add(c.id);
  return ids;
}

/** For a failure message: the blobs that held missing records, and what the API and the state say about them. */
async function whereFrom(stack: LocalStack, contentType: string, missing: ReadonlySet<string>): Promise<string> {
  const sim = stack.simulator;
  const name = MANAGEMENT_FUNCTIONS.find((f) => f.contentType === contentType)?.functionName ?? '';
  const state = await stateOf(stack);
  const cursor = await state.cursors.load<{ position: string; recent: Record<string, string> }>(name, {
    currentVersion: 2,
  });
  const retries = await state.retries.list();
  const lines: string[] = [`cursor at ${cursor?.value.position}`];
  for (const d of sim.contentDescriptors(contentType as never)) {
    const records = sim.blobRecords(d.contentId);
    const lost = records.filter((r) => missing.has(r)).length;
    if (lost === 0) continue;
    const requests = sim.log
      .requests('blob')
      .filter((r) => r.contentId === d.contentId)
      .map((r) => `${r.status ?? '-'}${r.fault === undefined ? '' : `/${r.fault}`}`);
    lines.push(
      `blob created ${d.contentCreated}: ${lost} of ${records.length} missing; fetched: [${requests.join(' ')}]; ` +
        `in recent: ${cursor?.value.recent[d.contentId] !== undefined}; on the retry list: ${retries.some((e) => e.contentId === d.contentId)}`,
    );
  }
  return lines.join('\n');
}

/** Adds fresh work for a function: a blob of its content type, or some mail. */
function publish(stack: LocalStack, name: string, random: () => number): void {
  const sim = stack.simulator;
  if (name === 'messageTrace') sim.addMessages(1 + Math.floor(random() * 5));
  const ct = MANAGEMENT_FUNCTIONS.find((f) => f.functionName === name)?.contentType;
  if (ct !== undefined)
    sim.addBlob(ct as never, sim.generateRecords(ct as never, 1 + Math.floor(random() * 40)), Date.now());
}

describe('chaos soak', () => {
  it('delivers every record through faults, receiver resets and kills, with only explained duplicates', async (t) => {
    // A third of all connections fail, as with every third reset before: every fourth mid-stream, every sixth at its
    // close. Connection numbers are shared by all functions, so a retry lands on any of them; at half of them failing,
    // five failures in a row (a flush's retries) came often enough to fail a run.
    const receiverFaults: DevoReceiverFaults = {
      resetEvery: 4,
      dropAfterBytes: 3000,
      dropConnections: 0,
      resetEveryAtHalfClose: 6,
    };
    const options = {
      simulator: { faultSeed: 8, messageTrace: { graphThrottle: { limit: Infinity } } },
      receiver: { faults: receiverFaults },
    };
    await withStack(options, async (stack) => {
      const random = seeded(20261201);
      const env = testEnv(stack, {
        HTTP_RETRIES: '8',
        HTTP_TIMEOUT_SECONDS: '1',
        HTTP_MAX_RETRY_WAIT_SECONDS: '2',
        MANAGEMENT_FETCH_CONCURRENCY: '4',
        MESSAGE_TRACE_DELAY_SECONDS: String(DELAY_SECONDS),
        MESSAGE_TRACE_DAYS_BACK: '4',
      });
      const chaos = chaosFaults({ rate: 0.25, routes: ['token', 'list', 'content', 'blob', 'graph'], stallMs: 2000 });
      for (const spec of chaos) stack.simulator.faults.add(spec);

      const killedConnections = new Set<number>();
      const failures: string[] = [];
      // Each function runs its own rounds, side by side with the others; the kills fall among them at random.
      const killsOf = new Map<string, number>(FUNCTIONS.map((name) => [name, 0]));
      for (let k = 0; k < KILLS; k += 1) {
        const name = FUNCTIONS[k % FUNCTIONS.length] as string;
        killsOf.set(name, (killsOf.get(name) ?? 0) + 1);
      }
      await Promise.all(
        FUNCTIONS.map(async (name) => {
          const killAt = new Set(
            Array.from({ length: killsOf.get(name) ?? 0 }, () => 1 + Math.floor(random() * (ROUNDS - 1))),
          );
          for (let round = 0; round < ROUNDS; round += 1) {
            publish(stack, name, random);
            if (killAt.has(round))
              for (const id of await killedRun(stack, name, env, random)) killedConnections.add(id);
            await invoke(name, env).catch((err: unknown) => failures.push(`round ${round} ${name}: ${String(err)}`));
          }
        }),
      );
      assert.deepEqual(failures, [], 'no transient failure failed a run');
      // A quarter of the data routes' attempts fail; the token metadata and subscription starts are left alone.
      const share = stack.simulator.faults.firedCount() / stack.simulator.log.requests().length;
      assert.ok(share >= 0.2, `at least a fifth of all request attempts failed (${(share * 100).toFixed(1)} %)`);
      const resets = stack.receiver.rawConnections.filter((c) => c.dropped).length;
      assert.ok(resets >= 5, `the receiver reset connections (${resets})`);

      // Clean rounds: no faults, no resets; everything left over (retry list included) must go through.
      stack.simulator.faults.clear();
      receiverFaults.resetEvery = undefined;
      receiverFaults.dropAfterBytes = undefined;
      receiverFaults.resetEveryAtHalfClose = undefined;
      await new Promise((resolve) => setTimeout(resolve, (DELAY_SECONDS + 1) * 1000));
      const cleanEnv = testEnv(stack, { MESSAGE_TRACE_DELAY_SECONDS: String(DELAY_SECONDS) });
      for (let clean = 0; clean < 2; clean += 1) {
        // The lock of a run killed a moment ago is still held until its lease runs out (30 s): wait for it.
        for (const name of FUNCTIONS) await untilNotBusy(name, cleanEnv);
      }

      const explained = (connection: number) =>
        killedConnections.has(connection) ||
        stack.receiver.rawConnections.find((c) => c.id === connection)?.dropped === true;
      const firstCopy = new Map<string, number>();
      let copies = 0;
      const unexplained: string[] = [];
      for (const line of stack.receiver.lines) {
        const key =
          line.tag === MESSAGE_TRACE_TAG
            ? `trace:${traceKey(JSON.parse(line.message) as Record<string, unknown>)}`
            : line.message;
        const first = firstCopy.get(key);
        if (first === undefined) firstCopy.set(key, line.connection);
        else if (!explained(first)) unexplained.push(key.slice(0, 120));
        else copies += 1;
      }
      assert.deepEqual(unexplained.slice(0, 5), [], `${unexplained.length} duplicates no reset or kill explains`);

      for (const ct of CONTENT_TYPES) {
        const missing = new Set(stack.simulator.expectedUniqueRecords(ct).filter((r) => !firstCopy.has(r)));
        assert.equal(
          missing.size,
          0,
          `${ct}: ${missing.size} records never arrived\n${await whereFrom(stack, ct, missing)}`,
        );
      }
      const boundary = Date.now() - (DELAY_SECONDS + 5) * 1000;
      const rows = stack.simulator
        .expectedMessageTraceRows({ includeUnknownEnumMembers: true })
        .filter(({ graph }) => Date.parse(graph.receivedDateTime) < boundary);
      const missingRows = rows.filter(
        ({ graph }) => !firstCopy.has(`trace:${traceKey(graph as unknown as Record<string, unknown>)}`),
      );
      assert.equal(missingRows.length, 0, `${missingRows.length} of ${rows.length} message trace rows never arrived`);
      t.diagnostic(
        `soak: ${stack.simulator.log.requests().length} API requests, ${stack.simulator.faults.firedCount()} faults, ` +
          `${resets} receiver resets, ${KILLS} kills; ${firstCopy.size} unique records and rows delivered, ` +
          `${copies} explained copies`,
      );
    });
  });
});
