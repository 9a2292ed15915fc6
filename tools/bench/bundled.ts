import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, repoRoot } from '../bundle.ts';

export interface BundledTimers {
  /** The bundled shared/timers.ts, for `import()`. */
  entry: string;
  /** Removes the bundle. */
  remove(): void;
}

/**
 * The timer table, shared/timers.ts, bundled in a temporary folder exactly as the deploy package bundles the
 * functions (tools/bundle.ts): a product run imports this, so the bench measures the code Azure runs. The deployed
 * entry, functions/timers.ts, only registers each of the table's timers with the host.
 */
export async function bundleTimers(): Promise<BundledTimers> {
  const dir = mkdtempSync(join(tmpdir(), 'o365devo-bench-'));
  try {
    const { entries } = await bundle(repoRoot, dir, ['shared/timers.ts']);
    const entry = entries[0];
    if (entry === undefined) throw new Error('the bundle wrote no entry');
    return { entry: join(dir, entry), remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
