import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface CountingReceiver {
  port: number;
  /** Lines accepted so far, and how many of them were not Devo syslog lines. */
  lines(): Promise<{ total: number; invalid: number }>;
  close(): Promise<void>;
}

/** Starts tools/bench/receiver-worker.ts and waits until it listens. */
export async function startCountingReceiver(): Promise<CountingReceiver> {
  const worker = new Worker(new URL('./receiver-worker.ts', import.meta.url));
  const [ready] = (await once(worker, 'message')) as [{ port: number }];
  let queue = Promise.resolve();
  return {
    port: ready.port,
    lines: () => {
      // One question at a time, so each answer is matched to its question.
      const answer = queue.then(async () => {
        worker.postMessage('count');
        const [reply] = (await once(worker, 'message')) as [{ total: number; invalid: number }];
        return reply;
      });
      queue = answer.then(() => undefined);
      return answer;
    },
    close: async () => {
      worker.postMessage('close');
      await once(worker, 'exit');
    },
  };
}
