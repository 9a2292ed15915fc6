import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MANAGEMENT_FUNCTIONS } from '../../shared/management/content-types.ts';
import { TIMER_FUNCTIONS } from '../../shared/timers.ts';
import { startLocalStack, type LocalStack } from '../../tools/local/stack.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TAG_LINE = /^\s+(cloud\.office365\.management\.\S+)\s+\+\d+\s+\(total \d+\)$/gm;

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` as a user runs it, minus any tenant and any local.settings.json on this machine. */
function start(extraEnv: NodeJS.ProcessEnv = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  if (extraEnv.O365_TENANT_ID === undefined) delete env.O365_TENANT_ID;
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['tools/start.ts', '--no-local-settings'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string, run: Run): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`timed out waiting for ${what}; output so far:\n${run.output().slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('npm start', () => {
  const runs: Run[] = [];
  let stack: LocalStack | undefined;
  after(async () => {
    for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await stack?.close();
  });

  it('without a tenant runs the demo: events arrive per tag, and Ctrl-C stops it cleanly', async (t) => {
    const run = start();
    runs.push(run);
    const began = Date.now();
    const tags = (): Set<string> => new Set([...run.output().matchAll(TAG_LINE)].map((m) => m[1] as string));
    await waitFor(() => tags().size >= 2, 30_000, 'events for two tags', run);
    t.diagnostic(`first events for ${tags().size} tags after ${Date.now() - began} ms: ${[...tags()].join(', ')}`);
    assert.match(run.output(), /DEMO with SIMULATED data/);
    assert.match(run.output(), /New tag cloud\.office365\.management\.\S+, sample: \{"CreationTime":/);

    const stopping = Date.now();
    run.child.kill('SIGINT');
    const { code, signal } = await withTimeout(run.exited, 10_000, 'stopping after SIGINT');
    t.diagnostic(`stopped in ${Date.now() - stopping} ms`);
    assert.equal(signal, null, run.output().slice(-2_000));
    assert.equal(code, 0, run.output().slice(-2_000));
    assert.match(run.output(), /SIGINT: stopping/);
    assert.match(run.output(), /Stopped\.\n$/);
  });

  it('with a tenant but bad settings exits 2 with the InitVariablesError before starting anything', async () => {
    const run = start({ O365_TENANT_ID: 'not-a-guid' });
    runs.push(run);
    const { code } = await withTimeout(run.exited, 10_000, 'refusing bad settings');
    assert.equal(code, 2, run.output());
    assert.match(run.output(), /InitVariablesError \d+: O365_TENANT_ID: /);
    assert.doesNotMatch(run.output(), /DEMO/);
  });

  it('with a tenant runs the functions on their schedules with those settings', async (t) => {
    stack = await startLocalStack();
    const exchange = MANAGEMENT_FUNCTIONS.find((f) => f.functionName === 'auditExchange');
    assert.ok(exchange);
    const others = TIMER_FUNCTIONS.filter((f) => f.name !== exchange.functionName);
    // The stack's settings carry NODE_EXTRA_CA_CERTS, so the child trusts the simulator as a user's process would.
    const run = start({
      ...stack.env,
      BLOOM_FILTER_SIZE: '100000',
      BLOOM_FILTER_BUFFER_SIZE: '1000',
      [exchange.schedule.name]: '*/2 * * * * *',
      ...Object.fromEntries(others.map((f) => [`AzureWebJobs.${f.name}.Disabled`, 'true'])),
    });
    runs.push(run);
    const receiver = stack.receiver;
    await waitFor(() => receiver.lines.length > 0, 20_000, 'events at the receiver', run);
    await waitFor(
      () => /Executed 'auditExchange' \(Succeeded/.test(run.output()),
      10_000,
      'the invocation to end',
      run,
    );
    t.diagnostic(`${receiver.lines.length} lines under ${[...receiver.byTag.keys()].join(', ')}`);
    assert.deepEqual([...receiver.byTag.keys()], ['cloud.office365.management.exchange']);
    assert.match(run.output(), /Executing 'auditExchange' \(Reason='Timer fired at /);
    assert.match(run.output(), /Function 'auditGeneral' is disabled/);
    assert.doesNotMatch(run.output(), /DEMO/);

    run.child.kill('SIGTERM');
    const { code } = await withTimeout(run.exited, 15_000, 'stopping after SIGTERM');
    assert.equal(code, 0, run.output().slice(-2_000));
  });
});
