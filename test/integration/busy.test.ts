/** One invocation per function at a time: an overlapping one finds the function busy and does nothing. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { invokeManagementFunction } from '../../shared/management/invoke.ts';
import { acquireFunctionLock } from '../../shared/state/index.ts';
import { assertDelivered, checkedForLeaks, recordingLogger, testEnv, withStack } from './helpers.ts';
import { stateOf } from './state.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe('function lock', () => {
  it('an overlapping `npm run collect` exits 0 as busy, without a request, an event or a write', async () => {
    await withStack({}, async (stack) => {
      const state = await stateOf(stack);
      const held = await acquireFunctionLock(state.container, 'auditGeneral');
      assert.ok(held !== undefined);
      try {
        const child = spawn(process.execPath, ['tools/collect.ts', 'auditGeneral'], {
          cwd: repo,
          env: { PATH: process.env.PATH ?? '', ...(testEnv(stack) as Record<string, string>) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        checkedForLeaks(output);
        assert.equal(code, 0, output);
        assert.match(output, /auditGeneral: busy/);
        assert.equal(stack.simulator.log.requests().length, 0, 'it asked the API nothing');
        assert.equal(stack.receiver.lines.length, 0, 'it sent nothing');
        assert.equal(await state.cursors.load('auditGeneral', { currentVersion: 2 }), undefined, 'it wrote nothing');
      } finally {
        await held.release();
      }
      await invokeManagementFunction('auditGeneral', testEnv(stack), recordingLogger());
      assertDelivered(stack, ['Audit.General']);
    });
  });

  it('of two invocations at once, one collects and the other is busy: every record arrives once', async () => {
    await withStack({}, async (stack) => {
      stack.simulator.faults.add({ match: { route: 'blob' }, kind: 'delay-headers', delayMs: 100, times: 100 });
      const loggers = [recordingLogger(), recordingLogger()];
      await Promise.all(loggers.map((l) => invokeManagementFunction('auditExchange', testEnv(stack), l)));
      const busy = loggers.filter((l) => l.lines.some((line) => line.includes('auditExchange: busy')));
      assert.equal(busy.length, 1, 'exactly one found the function busy');
      assertDelivered(stack, ['Audit.Exchange']);
    });
  });
});
