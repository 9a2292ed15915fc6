import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_CA_PATH } from '../local/stack.ts';
import type { ChildJob, ChildMessage } from './child.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/**
 * Runs one job in a fresh process and returns its messages. `onMessage` runs before the child goes on, so the caller
 * can read counters between phases. The child's stdout goes to our stderr: our stdout is the report.
 */
export async function runChild(
  job: ChildJob,
  onMessage: (message: ChildMessage) => void | Promise<void> = () => undefined,
  execArgv: string[] = [],
): Promise<ChildMessage[]> {
  const child = fork(CHILD, [], {
    execPath: process.execPath,
    execArgv,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: TEST_CA_PATH },
    stdio: ['ignore', 2, 'inherit', 'ipc'],
  });
  const messages: ChildMessage[] = [];
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('exit', resolve);
    child.once('error', reject);
  });
  const handled: Array<Promise<void>> = [];
  child.on('message', (message) => {
    const m = message as ChildMessage;
    messages.push(m);
    const done = Promise.resolve(onMessage(m)).then(() => {
      // The phases after which the child waits for a go-ahead, so the caller reads the receiver's count first.
      if (m.phase === 'catch-up' || (m.phase === 'warm' && job.againEnv !== undefined)) child.send('go');
    });
    handled.push(done);
  });
  child.send(JSON.stringify(job));
  const code = await exited;
  // The child may exit before the caller finished reading counters for its last message.
  await Promise.all(handled);
  if (code !== 0) throw new Error(`bench child (${job.mode}) exited with code ${code}`);
  return messages;
}
