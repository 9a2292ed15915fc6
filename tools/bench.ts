/**
 * `npm run bench`: the end-to-end report (tools/bench/e2e.ts), one JSON object on stdout. `--records N`,
 * `--blobs M` and `--rounds R` size it; `--skip-cold-start` leaves out the cold-start figures; `--cpu-prof DIR`
 * writes a CPU profile of each product and raw-pipe run. `--micro` prints the micro benchmarks of dedupe, state and
 * the sender instead. A benchmark, not a test: it fails nothing.
 */
import { e2eReport } from './bench/e2e.ts';
import { microReport } from './bench/micro.ts';

const args = process.argv.slice(2);

function flag(name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} takes a whole number >= 1`);
    process.exit(2);
  }
  return value;
}

if (args.includes('--micro')) {
  console.log(JSON.stringify(await microReport(), null, 2));
} else {
  const records = flag('records', 315_000);
  const report = await e2eReport({
    records,
    blobs: flag('blobs', 300),
    rounds: flag('rounds', records >= 1_000_000 ? 1 : 3),
    coldStart: !args.includes('--skip-cold-start'),
    profileDir: args.includes('--cpu-prof') ? (args[args.indexOf('--cpu-prof') + 1] ?? 'bench-profiles') : undefined,
  });
  console.log(JSON.stringify(report, null, 2));
}
