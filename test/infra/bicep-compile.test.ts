/**
 * The real Bicep compiler over infra/: every entry point builds and the linter (infra/bicepconfig.json) reports
 * nothing, not even a warning. Azure's resource types ship inside the compiler, so a wrong property name, type or
 * API version fails here instead of at a customer's first `azd up`. Skipped without a CLI, except on CI (CI=true).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bicepSkip, findBicep, pinnedBicepVersion, repoRoot, runBicep, type BicepCli } from './bicep-cli.ts';
import { infraFiles, mutate, readRepo } from './infra-files.ts';

const found = findBicep();
const skip = bicepSkip(found);
const cli = (): BicepCli => {
  if ('missing' in found) assert.fail(found.missing);
  return found;
};

const bicepFiles = infraFiles.filter((p) => p.endsWith('.bicep'));

/** Module paths a Bicep text references, relative to infra/ (local modules only: registries are unreachable here). */
export function modulePaths(from: string, text: string): string[] {
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  return [...text.matchAll(/^module\s+\w+\s+'([^']+)'/gm)].map((m) =>
    new URL(m[1] ?? '', `file:///${dir}`).pathname.slice(1),
  );
}

/** Deployable files: .bicep files under infra/ that no other file uses as a module. */
export function entryPoints(files: ReadonlyMap<string, string>): string[] {
  const used = new Set([...files].flatMap(([path, text]) => modulePaths(path, text)));
  return [...files.keys()].filter((p) => !used.has(p));
}

const texts = new Map(bicepFiles.map((p) => [p, readRepo(`infra/${p}`)]));

describe('Bicep compiler', () => {
  it('finds main.bicep as the entry point and its modules as modules', () => {
    assert.deepEqual(entryPoints(texts), ['main.bicep']);
    assert.ok(modulePaths('main.bicep', texts.get('main.bicep') ?? '').includes('modules/functionapp.bicep'));
    assert.equal(
      [...texts.values()].filter((t) => /^module\s+\w+\s+'br[:/]/m.test(t)).length,
      0,
      'registry modules cannot be restored offline; use local Bicep',
    );
  });

  it('builds every entry point with zero errors and warnings', skip, () => {
    const { version, source } = cli();
    console.log(`Bicep CLI ${version} from ${source}; templates are verified with ${pinnedBicepVersion()}`);
    for (const entry of entryPoints(texts)) {
      const run = runBicep(cli(), ['build', `infra/${entry}`, '--stdout']);
      assert.deepEqual(run.diagnostics, [], `bicep build infra/${entry}`);
      assert.equal(run.status, 0, `bicep build infra/${entry}`);
    }
  });

  it('lints every .bicep file with zero errors and warnings', skip, () => {
    const run = runBicep(cli(), ['lint', '--pattern', 'infra/**/*.bicep']);
    assert.deepEqual(run.diagnostics, [], 'bicep lint');
    assert.equal(run.status, 0, 'bicep lint');
  });

  it('reports a misspelt property of the function app with the compiler message', skip, () => {
    const copy = mkdtempSync(join(tmpdir(), 'bicep-mutant-'));
    try {
      cpSync(join(repoRoot, 'infra'), join(copy, 'infra'), {
        recursive: true,
        filter: (src) => !src.includes('/infra/bicep/'),
      });
      const app = join(copy, 'infra/modules/functionapp.bicep');
      writeFileSync(
        app,
        mutate(
          readFileSync(app, 'utf8'),
          'maximumInstanceCount: maximumInstanceCount',
          'maxInstanceCount: maximumInstanceCount',
        ),
      );
      const run = runBicep(cli(), ['build', join(copy, 'infra/main.bicep'), '--stdout']);
      // An unknown property is a warning to the compiler (BCP037), and any warning fails the build test above.
      assert.match(
        run.diagnostics.join('\n'),
        /functionapp\.bicep\(\d+,\d+\) : (Error|Warning) BCP\d+: .*maxInstanceCount/,
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('linter configuration', () => {
  const config = JSON.parse(readRepo('infra/bicepconfig.json')) as {
    analyzers?: { core?: { enabled?: boolean; rules?: Record<string, { level?: string }> } };
  };

  it('turns the core analyzer on, with use-recent-api-versions', () => {
    assert.equal(config.analyzers?.core?.enabled, true);
    assert.equal(config.analyzers?.core?.rules?.['use-recent-api-versions']?.level, 'warning');
  });

  it('suppresses a warning only with a reason on the same line', () => {
    const bare = [...texts].flatMap(([path, text]) =>
      text
        .split('\n')
        .map((line, i) => ({ line, at: `infra/${path}:${i + 1}` }))
        .filter(
          ({ line }) =>
            /#disable-(next-line|diagnostics)/.test(line) && !/#disable-next-line [\w -]+ \/\/ \S/.test(line),
        )
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    assert.deepEqual(bare, []);
  });
});
