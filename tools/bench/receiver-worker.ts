/**
 * The test suite's mutual-TLS Devo receiver on its own thread, counting what arrives: on the bench's main thread it
 * would share an event loop with the simulator, and parsing lines would throttle how fast blobs are served.
 */
import { parentPort } from 'node:worker_threads';
import { startDevoReceiver } from '../../test/support/devo-receiver.ts';

let total = 0;
let invalid = 0;
const receiver = await startDevoReceiver({
  onLine: (line) => {
    total += 1;
    if (!line.valid) invalid += 1;
  },
});
// The receiver keeps every line for tests; a bench run would hold gigabytes, so what was counted is dropped.
setInterval(() => {
  receiver.lines.length = 0;
  receiver.byTag.clear();
  for (const c of receiver.rawConnections) c.chunks.length = 0;
}, 200).unref();

parentPort?.on('message', (message: string) => {
  if (message === 'count') parentPort?.postMessage({ total, invalid });
  if (message === 'close') void receiver.close().then(() => parentPort?.close());
});
parentPort?.postMessage({ port: receiver.port });
