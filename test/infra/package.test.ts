/**
 * The deploy package azd ships: the posix prepackage hook of azure.yaml, run as written in a temporary copy of the
 * repository, must leave dist/.package with host.json, a package.json without scripts or devDependencies, the
 * compiled entry `main` resolving to the registered functions, production node_modules only, and nothing from test/
 * or tools/. Needs the npm registry for `npm ci --omit=dev`; bounded in time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from './bicep-cli.ts';
import { mutate, readRepo } from './infra-files.ts';

/** The posix prepackage command of azure.yaml: its folded `run: >-` block joined into one line. */
export function prepackageCommand(yaml: string): string {
  const block = /^ {8}posix:\n(?: {10}(?!run:).*\n)* {10}run: >-\n((?: {12}.*\n?)+)/m.exec(yaml)?.[1];
  assert.ok(block !== undefined, 'azure.yaml: no posix prepackage run block');
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
  it('takes its commands from the posix prepackage hook of azure.yaml', () => {
    const command = prepackageCommand(readRepo('azure.yaml'));
    assert.match(command, /^npm run build && .* npm ci --omit=dev .* && npm pkg delete scripts devDependencies$/);
    assert.throws(() => prepackageCommand(mutate(readRepo('azure.yaml'), '        posix:\n', '        bash:\n')));
  });

  it('holds host.json, production dependencies and the compiled functions only', { timeout: 300_000 }, () => {
    // A copy of the sources, with the installed node_modules linked, so the build does not touch the repository.
    for (const entry of [
      'functions',
      'shared',
      'host.json',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ])
      cpSync(join(repoRoot, entry), join(work, entry), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
    const run = spawnSync('sh', ['-c', prepackageCommand(readRepo('azure.yaml'))], {
      cwd: work,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    assert.equal(run.status, 0, `${run.error?.message ?? ''}\n${run.stdout}\n${run.stderr}`);

    const pkgDir = join(work, 'dist/.package');
    const { files, bytes } = listFiles(pkgDir);
    console.log(`deploy package: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
    assert.deepEqual(readdirSync(pkgDir).sort(), [
      'dist',
      'host.json',
      'node_modules',
      'package-lock.json',
      'package.json',
    ]);
    assert.deepEqual(readdirSync(join(pkgDir, 'dist')).sort(), ['functions', 'shared']);
    assert.deepEqual(
      files.filter((f) => /(^|\/)(test|tools)\//.test(f) && !f.startsWith('node_modules/')),
      [],
    );
    // README.md ("Deploying to Azure") states the size; this bound catches a dev dependency slipping in.
    assert.ok(bytes < 120e6, `deploy package is ${bytes} bytes`);

    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.scripts, undefined);
    assert.equal(manifest.devDependencies, undefined);
    const root = JSON.parse(readRepo('package.json')) as { devDependencies: Record<string, string>; main: string };
    const devOnly = Object.keys(root.devDependencies).filter((d) => existsSync(join(pkgDir, 'node_modules', d)));
    assert.deepEqual(devOnly, [], 'devDependencies in the deploy package');

    // `main` is a glob the Functions host loads; each match must register timer functions.
    assert.equal(manifest.main, root.main);
    const [dir, pattern] = [
      root.main.slice(0, root.main.lastIndexOf('/')),
      root.main.slice(root.main.lastIndexOf('/') + 1),
    ];
    const re = new RegExp(`^${pattern.replace('.', '\\.').replace('*', '.*')}$`);
    const entries = readdirSync(join(pkgDir, dir)).filter((f) => re.test(f));
    assert.ok(entries.length > 0, `main ${root.main} matches nothing`);
    for (const entry of entries) assert.match(readFileSync(join(pkgDir, dir, entry), 'utf8'), /app\.timer\(/, entry);
  });
});
