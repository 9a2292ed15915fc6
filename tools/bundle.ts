/**
 * `npm run bundle`: each entry point in functions/ as one ESM file for Node 22, with every production dependency
 * inside it, into dist/bundle/. The Functions host imports that file instead of resolving hundreds of modules in
 * node_modules at every cold start; `npm run stage` (tools/package.ts) puts it into the deploy package.
 *
 * Code loaded with `import()` (@azure/identity, the OpenTelemetry exporter) becomes chunks of its own under
 * chunks/, read only when first used. No source maps: the bundle is not minified, so names survive in stack traces
 * and esbuild's `// path` markers lead from a bundle line to its source; maps would add megabytes, and Node would
 * parse them at load with --enable-source-maps, which is the start-up cost this bundle removes.
 */
import { build, type Metafile } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * What stays out of the bundle, and why. Nothing here ships in the deploy package: the list of packages that would
 * have to be copied into its node_modules is empty, since everything else bundles.
 */
export const EXTERNAL: Readonly<Record<string, string>> = {
  // The Node worker answers `require('@azure/functions-core')` itself (it wraps Module.prototype.require); there is
  // no such package on npm. @azure/functions falls back to test mode when the require fails, as in the tests.
  '@azure/functions-core': 'provided by the Azure Functions Node worker at run time',
};

/**
 * CommonJS dependencies (@azure/functions is a webpack CJS bundle) call `require`, which an ES module lacks; a real
 * one from createRequire also keeps the worker's require hook for @azure/functions-core in the path.
 */
const BANNER =
  "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

export interface BundleResult {
  /** Entry files, relative to the output folder: `functions/<name>.js`. */
  entries: string[];
  /** Every file written (entries, chunks, licenses), relative to the output folder. */
  files: string[];
}

/** The deployed entry points: every file in functions/. */
export const functionEntries = (root = repoRoot): string[] =>
  readdirSync(join(root, 'functions'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `functions/${f}`);

/**
 * Bundles functions/*.ts from `root` into `outdir` (emptied first). `entryPoints` (paths relative to `root`) replaces
 * them when other code must run exactly as the deploy package runs it: the bench bundles the timer table this way.
 */
export async function bundle(
  root = repoRoot,
  outdir = join(root, 'dist/bundle'),
  entryPoints = functionEntries(root),
): Promise<BundleResult> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    splitting: true,
    entryNames: 'functions/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: BANNER },
    external: Object.keys(EXTERNAL),
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const devOnly = devInputs(root, result.metafile);
  if (devOnly.length > 0) throw new Error(`the bundle would include development code: ${devOnly.join(', ')}`);
  writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(root, result.metafile));
  const files = (readdirSync(outdir, { recursive: true }) as string[])
    .filter((f) => f.includes('.'))
    .map((f) => f.split('\\').join('/'))
    .sort();
  // entryNames puts every entry under functions/, whatever folder it came from.
  return { entries: entryPoints.map((e) => `functions/${basename(e, '.ts')}.js`), files };
}

/** Bundled files from test/, tools/ or a devDependency: production code must not import any. */
function devInputs(root: string, metafile: Metafile): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
  return Object.keys(metafile.inputs).filter((input) => {
    if (/^(test|tools)\//.test(input)) return true;
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    return name !== undefined && dev.has(name);
  });
}

/**
 * The licence texts of the packages inside the bundle: bundling drops their LICENSE files, which the MIT and
 * similar licences ask copies to keep.
 */
function thirdPartyLicenses(root: string, metafile: Metafile): string {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) packages.add(match[1]);
  }
  const sections: string[] = [];
  for (const dir of [...packages].sort()) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const file = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)/i.test(f));
    const text =
      file === undefined ? `License: ${manifest.license ?? 'unknown'}` : readFileSync(join(root, dir, file), 'utf8');
    sections.push(`${manifest.name}@${manifest.version}\n\n${text.trim()}\n`);
  }
  return sections.join(`\n${'-'.repeat(78)}\n\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { files } = await bundle();
  console.log(`dist/bundle: ${files.join(', ')}`);
}
