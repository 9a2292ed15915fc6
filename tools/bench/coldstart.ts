/**
 * Stand-in for the cold-start measurement: the import time of today's compiled entry point in a fresh process
 * (compiled first into node_modules/.cache when there is no dist/, so node_modules still resolves and dist/ is
 * left alone). Package figures are not measured here (NaN).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRATCH = 'node_modules/.cache/o365-bench-dist';

export async function measureColdStart(): Promise<{
  importMs: number;
  packageBytes: number;
  packageFiles: number;
  bundleBytes: number;
}> {
  const run = promisify(execFile);
  let entry = join(ROOT, 'dist/functions/timers.js');
  if (!existsSync(entry)) {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', SCRATCH], { cwd: ROOT });
    entry = join(ROOT, SCRATCH, 'functions/timers.js');
  }
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(performance.now() - t);`;
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    runs.push(Number(stdout.trim()));
  }
  const importMs = runs.sort((a, b) => a - b)[1] ?? Number.NaN;
  return { importMs, packageBytes: Number.NaN, packageFiles: Number.NaN, bundleBytes: Number.NaN };
}
