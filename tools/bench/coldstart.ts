import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importEntry, stagePackage } from '../package.ts';

/** Files under a folder, relative to it, with their sizes. */
function sizes(dir: string): { file: string; bytes: number }[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((file) => ({ file: file.split('\\').join('/'), stat: statSync(join(dir, file)) }))
    .filter((f) => f.stat.isFile())
    .map((f) => ({ file: f.file, bytes: f.stat.size }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * The deploy package's cold start: stages it as azure.yaml's prepackage hook does (the same `stagePackage`), in a
 * temporary folder with no node_modules above it, and imports its entry point in a fresh Node process `runs` times.
 *
 * - importMs: median time of the `import()` of the entry (the functions registering, in test mode)
 * - packageBytes, packageFiles: everything azd would zip
 * - bundleBytes: the bundled JavaScript in it, entries and lazily loaded chunks together
 */
export async function measureColdStart(
  runs = 7,
): Promise<{ importMs: number; packageBytes: number; packageFiles: number; bundleBytes: number }> {
  const work = mkdtempSync(join(tmpdir(), 'o365devo-coldstart-'));
  try {
    const staged = await stagePackage(undefined, join(work, 'package'));
    const files = sizes(staged.dir);
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      times.push(staged.entries.reduce((sum, entry) => sum + importEntry(staged.dir, entry).ms, 0));
    }
    return {
      importMs: Math.round(median(times)),
      packageBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      packageFiles: files.length,
      bundleBytes: files.filter((f) => f.file.endsWith('.js')).reduce((sum, f) => sum + f.bytes, 0),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node tools/bench/coldstart.ts` prints the figures on their own.
if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await measureColdStart());
