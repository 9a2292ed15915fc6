/**
 * `npm run stage`: the deploy package azd zips, in dist/.package (azure.yaml's prepackage hook runs this):
 *
 *   host.json
 *   package.json        name, version, "type": "module", `main` (the same path as the repository's), no scripts
 *                       and no dependencies
 *   dist/functions/*.js one bundled file per entry point (tools/bundle.ts), matched by `main`
 *   dist/chunks/*.js    code loaded on first use (identity, telemetry exporter)
 *   dist/THIRD-PARTY-LICENSES.txt
 *
 * No node_modules: every dependency is inside the bundle, and the one external (@azure/functions-core) is the
 * worker's own. tools/bench/coldstart.ts and test/infra/package.test.ts stage through this same code.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundle, repoRoot } from './bundle.ts';

export interface StagedPackage {
  dir: string;
  /** `main` of the staged package.json. */
  main: string;
  /** The entry files `main` matches, relative to `dir`. */
  entries: string[];
}

/** Bundles the sources under `root` and stages the package in `out` (emptied first). */
export async function stagePackage(root = repoRoot, out = join(root, 'dist/.package')): Promise<StagedPackage> {
  const built = join(root, 'dist/bundle');
  const { entries } = await bundle(root, built);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(built, join(out, 'dist'), { recursive: true });
  cpSync(join(root, 'host.json'), join(out, 'host.json'));

  const source = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown> & {
    main: string;
  };
  const main = source.main;
  const manifest = {
    name: source.name,
    version: source.version,
    private: true,
    description: source.description,
    license: source.license,
    type: 'module',
    main,
    engines: source.engines,
  };
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const matched = matchMain(out, main);
  const bundled = entries.map((e) => `dist/${e}`).sort();
  if (JSON.stringify(matched) !== JSON.stringify(bundled))
    throw new Error(`package.json main ${main} matches ${matched.join(', ') || 'nothing'}, not the bundle's entries`);
  return { dir: out, main, entries: matched };
}

/** The files a `main` of the form `dir/*.js` (one `*`, in the file name only) matches under `dir`. */
export function matchMain(dir: string, main: string): string[] {
  const slash = main.lastIndexOf('/');
  const folder = main.slice(0, slash);
  const pattern = new RegExp(
    `^${main
      .slice(slash + 1)
      .replace(/[.]/g, '\\.')
      .replace('*', '[^/]*')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(join(dir, folder));
  } catch {
    return [];
  }
  return names
    .filter((f) => pattern.test(f))
    .map((f) => `${folder}/${f}`)
    .sort();
}

export interface EntryImport {
  /** Time of the `import()` of the entry alone, not of Node's own start. */
  ms: number;
  /** Function names @azure/functions reported registering (in test mode: "Skipping call to register function"). */
  registered: string[];
}

// Run by a fresh Node per measurement, so no module is cached from an earlier import.
const PROBE = `const t0 = performance.now();
await import(process.argv[1]);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));`;

/**
 * Imports one file of a staged package in a fresh Node process started in `dir`, as the worker would, but without
 * the worker: `@azure/functions-core` is absent, so @azure/functions runs in test mode and logs each registration
 * instead of making it. Stage `dir` outside any folder with a node_modules above it, or a dependency missing from
 * the package would still resolve.
 */
export function importEntry(dir: string, file: string): EntryImport {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(join(dir, file)).href], {
    cwd: dir,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  if (run.status !== 0)
    throw new Error(`importing ${file} failed (${run.status}): ${run.error?.message ?? ''}\n${run.stderr}`);
  const registered = [...run.stderr.matchAll(/Skipping call to register function "([^"]+)"/g)].map((m) => m[1] ?? '');
  return { ms: (JSON.parse(run.stdout) as { ms: number }).ms, registered };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const staged = await stagePackage();
  console.log(`${staged.dir}: main ${staged.main} -> ${staged.entries.join(', ')}`);
}
