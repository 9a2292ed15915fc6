/**
 * The deploy package azd ships: the posix prepackage hook of azure.yaml, run as written in a temporary copy of the
 * repository, must leave dist/.package with host.json, a package.json without scripts or dependencies, the bundled
 * entry `main` resolves to, its chunks, and nothing else: no node_modules, nothing from test/ or tools/. Importing
 * the entry from a copy of the package with no node_modules anywhere above it must register every timer function.
 * Offline: nothing is installed from the registry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TIMER_FUNCTIONS } from '../../shared/timers.ts';
import { importEntry, matchMain } from '../../tools/package.ts';
import { repoRoot } from './bicep-cli.ts';
import { mutate, readRepo } from './infra-files.ts';

/** The prepackage command of azure.yaml for `shell` (posix or windows): its folded `run: >-` block on one line. */
export function prepackageCommand(yaml: string, shell: 'posix' | 'windows' = 'posix'): string {
  const block = new RegExp(`^ {8}${shell}:\\n(?: {10}(?!run:).*\\n)* {10}run: >-\\n((?: {12}.*\\n?)+)`, 'm').exec(
    yaml,
  )?.[1];
  assert.ok(block !== undefined, `azure.yaml: no ${shell} prepackage run block`);
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** Files under a folder, relative to it, with their total size in bytes. */
function listFiles(dir: string): { files: string[]; bytes: number } {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((p) => statSync(join(dir, p)).isFile());
  return { files: files.sort(), bytes: files.reduce((sum, p) => sum + statSync(join(dir, p)).size, 0) };
}

const work = mkdtempSync(join(tmpdir(), 'o365devo-package-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('deploy package', () => {
  it('takes its commands from the prepackage hooks of azure.yaml, both running the one staging script', () => {
    const yaml = readRepo('azure.yaml');
    assert.equal(prepackageCommand(yaml), 'npm run stage');
    assert.match(
      prepackageCommand(yaml, 'windows'),
      /(^|; )npm run stage; if \(\$LASTEXITCODE\) \{ exit \$LASTEXITCODE \}$/,
    );
    const root = JSON.parse(readRepo('package.json')) as { scripts: Record<string, string> };
    assert.equal(root.scripts.stage, 'node tools/package.ts');
    // azd's own package step runs a `package` script too; one would stage everything twice.
    assert.equal(root.scripts.package, undefined);
    assert.throws(() => prepackageCommand(mutate(yaml, '        posix:\n', '        bash:\n')));
  });

  it('holds host.json and the bundled functions only, under 15 MB', { timeout: 300_000 }, () => {
    // A copy of the sources, with the installed node_modules linked, so the build does not touch the repository.
    for (const entry of [
      'functions',
      'shared',
      'tools/bundle.ts',
      'tools/package.ts',
      'host.json',
      'package.json',
      'package-lock.json',
    ])
      cpSync(join(repoRoot, entry), join(work, 'src', entry), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(work, 'src', 'node_modules'), 'dir');
    const run = spawnSync('sh', ['-c', prepackageCommand(readRepo('azure.yaml'))], {
      cwd: join(work, 'src'),
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    assert.equal(run.status, 0, `${run.error?.message ?? ''}\n${run.stdout}\n${run.stderr}`);

    // Moved away from the linked node_modules, so that a dependency left out of the bundle cannot resolve.
    const pkgDir = join(work, 'package');
    cpSync(join(work, 'src', 'dist/.package'), pkgDir, { recursive: true });
    const { files, bytes } = listFiles(pkgDir);
    console.log(`deploy package: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
    assert.deepEqual(readdirSync(pkgDir).sort(), ['dist', 'host.json', 'package.json']);
    assert.deepEqual(readdirSync(join(pkgDir, 'dist')).sort(), ['THIRD-PARTY-LICENSES.txt', 'chunks', 'functions']);
    assert.deepEqual(
      files.filter(
        (f) =>
          !/^(host\.json|package\.json|dist\/THIRD-PARTY-LICENSES\.txt|dist\/(functions|chunks)\/[\w.-]+\.js)$/.test(f),
      ),
      [],
    );
    assert.deepEqual(readFileSync(join(pkgDir, 'host.json'), 'utf8'), readRepo('host.json'));
    // README.md ("Deploying to Azure") states the size; the bound catches a dependency bundled by mistake.
    assert.ok(bytes <= 15e6, `deploy package is ${bytes} bytes`);

    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const root = JSON.parse(readRepo('package.json')) as { main: string };
    assert.equal(manifest.type, 'module');
    assert.equal(manifest.scripts, undefined);
    assert.equal(manifest.dependencies, undefined);
    assert.equal(manifest.devDependencies, undefined);

    // `main` is a glob the Functions host loads; it matches the bundled entries and not the chunks, and importing
    // them registers every timer function once.
    assert.equal(manifest.main, root.main);
    const entries = matchMain(pkgDir, root.main);
    assert.deepEqual(entries, ['dist/functions/timers.js']);
    const registered = entries.flatMap((entry) => importEntry(pkgDir, entry).registered);
    assert.deepEqual(registered.sort(), TIMER_FUNCTIONS.map((f) => f.name).sort());

    // The chunks are what the first invocation imports (collectors, identity, telemetry): each must load too.
    for (const chunk of readdirSync(join(pkgDir, 'dist/chunks'))) importEntry(pkgDir, `dist/chunks/${chunk}`);
  });
});
