/**
 * `npm run bench -- --micro`: throughput of the hot paths on their own. Each part measures its figures side by side
 * in the same run (ours against the package default, plain against gzip), since these machines are noisy.
 */
import { cpus, loadavg } from 'node:os';
import { benchDedupe } from './dedupe.ts';
import { benchSender } from './sender.ts';
import { benchState } from './state.ts';

export async function microReport(): Promise<Record<string, unknown>> {
  return {
    node: process.version,
    cpus: cpus().length,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    targets: {
      dedupeOpsPerSec: 1_000_000,
      dedupeSpeedupOverPackageDefault: 20,
      filterSaveLoadMs: 500,
      senderLinesPerSec: 100_000,
    },
    dedupe: await benchDedupe(),
    state: await benchState(),
    sender: await benchSender(),
  };
}
