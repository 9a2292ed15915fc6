/**
 * `npm run bench`: throughput of the hot paths, printed as one JSON report. Each part measures its figures side by
 * side in the same run (ours against the package default, plain against gzip), since these machines are noisy.
 * A benchmark, not a test: it fails nothing.
 */
import { cpus, loadavg } from 'node:os';
import { benchDedupe } from './bench/dedupe.ts';
import { benchSender } from './bench/sender.ts';
import { benchState } from './bench/state.ts';

const report = {
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
console.log(JSON.stringify(report, null, 2));
