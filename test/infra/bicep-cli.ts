/**
 * Finds or brings the Bicep CLI for the infra tests, runs it and reads its diagnostics. Order: the copy restored from
 * NuGet into infra/bicep/.cli/ (the pinned version), a `bicep` on PATH, the ones `az bicep install` and azd leave in
 * ~/.azure/bin and ~/.azd/bin, then `dotnet restore` of infra/bicep/bicep-cli.csproj. Nothing is downloaded from
 * anywhere but the NuGet feed dotnet is configured with.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const projectFile = join(repoRoot, 'infra/bicep/bicep-cli.csproj');
const cliDir = join(repoRoot, 'infra/bicep/.cli');
const PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

/** How to get the CLI, for a skip or failure message. */
export const HOW_TO_GET_BICEP =
  'install the .NET SDK (the test restores Bicep from NuGet via infra/bicep/bicep-cli.csproj), ' +
  'or `az bicep install`, or azd, or put `bicep` on PATH';

/** The Bicep version infra/bicep/bicep-cli.csproj pins: the one the templates are verified with. */
export function pinnedBicepVersion(csproj = readFileSync(projectFile, 'utf8')): string {
  const version = new RegExp(`Include="${PACKAGE}" Version="\\[([^\\]]+)\\]"`).exec(csproj)?.[1];
  if (version === undefined) throw new Error(`${projectFile}: no exact PackageDownload of ${PACKAGE}`);
  return version;
}

export interface BicepCli {
  path: string;
  /** As `bicep --version` prints it, e.g. 0.49.2. */
  version: string;
  /** Where it came from, for the test output. */
  source: string;
}

const restoredBinary = (version: string, packages = join(cliDir, 'packages')): string =>
  join(packages, PACKAGE.toLowerCase(), version, 'tools', 'bicep');

/** `bicep --version` of a candidate, or undefined when it does not run. */
function versionOf(path: string): string | undefined {
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return run.status === 0 ? /Bicep CLI version (\S+)/.exec(run.stdout)?.[1] : undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Restores the pinned package into a private folder, then renames it into place: test files run in parallel
 * processes, and a half-restored folder must never look ready. Returns why it failed, or undefined.
 */
function restoreFromNuGet(version: string): string | undefined {
  const scratch = join(cliDir, `restore-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const run = spawnSync(
    'dotnet',
    [
      'restore',
      projectFile,
      '--packages',
      join(scratch, 'packages'),
      `-p:MSBuildProjectExtensionsPath=${join(scratch, 'obj')}/`,
    ],
    {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    },
  );
  try {
    if (run.error !== undefined || run.status !== 0)
      return `dotnet restore failed: ${run.error?.message ?? ''}${run.stdout}${run.stderr}`.trim();
    const binary = restoredBinary(version, join(scratch, 'packages'));
    if (!existsSync(binary)) return `dotnet restore left no ${binary}`;
    chmodSync(binary, 0o755);
    if (!existsSync(restoredBinary(version))) {
      rmSync(join(cliDir, 'packages'), { recursive: true, force: true });
      try {
        renameSync(join(scratch, 'packages'), join(cliDir, 'packages'));
      } catch (error) {
        // Another test process got there first; its copy is complete.
        if (!existsSync(restoredBinary(version))) throw error;
      }
    }
    return undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A working Bicep CLI, restoring the pinned one from NuGet when nothing else is there; else why there is none. */
export function findBicep(): BicepCli | { missing: string } {
  const pinned = pinnedBicepVersion();
  const candidates: [string | undefined, string][] = [
    [restoredBinary(pinned), 'NuGet, restored into infra/bicep/.cli'],
    [onPath('bicep'), 'PATH'],
    [join(homedir(), '.azure/bin/bicep'), '~/.azure/bin (az bicep)'],
    [join(homedir(), '.azd/bin/bicep'), '~/.azd/bin (azd)'],
  ];
  const found = (): BicepCli | undefined => {
    for (const [path, source] of candidates) {
      const version = path !== undefined && existsSync(path) ? versionOf(path) : undefined;
      if (path !== undefined && version !== undefined) return { path, version, source };
    }
    return undefined;
  };
  const present = found();
  if (present !== undefined) return present;
  if (spawnSync('dotnet', ['--version'], { encoding: 'utf8' }).status !== 0)
    return { missing: `no Bicep CLI and no dotnet: ${HOW_TO_GET_BICEP}` };
  const failure = restoreFromNuGet(pinned);
  return found() ?? { missing: `${failure ?? 'restored Bicep does not run'}; ${HOW_TO_GET_BICEP}` };
}

export interface BicepRun {
  status: number | null;
  stdout: string;
  /** Diagnostics as the CLI prints them, one a line. */
  diagnostics: string[];
}

/** Runs the CLI from the repository root; diagnostics are the lines naming a file position. */
export function runBicep(cli: BicepCli, args: readonly string[]): BicepRun {
  const run = spawnSync(cli.path, args, { cwd: repoRoot, encoding: 'utf8', timeout: 180_000, maxBuffer: 64 << 20 });
  const text = `${run.stderr}\n${args.includes('--stdout') ? '' : run.stdout}`;
  const diagnostics = [
    ...new Set(
      text
        .split('\n')
        .filter((l) => /\(\d+,\d+\) : (Error|Warning|Info)/.test(l))
        .map((l) => l.replace(repoRoot, '')),
    ),
  ];
  if (run.error !== undefined) diagnostics.push(`bicep ${args.join(' ')}: ${run.error.message}`);
  else if (run.status !== 0 && diagnostics.length === 0) diagnostics.push(run.stderr.trim());
  return { status: run.status, stdout: run.stdout, diagnostics };
}

/** Compiles one .bicep file (path from the repository root) and returns the ARM template and diagnostics. */
export function buildTemplate(cli: BicepCli, path: string): { template: unknown; diagnostics: string[] } {
  const run = runBicep(cli, ['build', path, '--stdout']);
  return { template: run.status === 0 ? (JSON.parse(run.stdout) as unknown) : undefined, diagnostics: run.diagnostics };
}

/** Skip options for a test that needs the CLI: skipped where it cannot be had, except on CI, where it must run. */
export function bicepSkip(found: BicepCli | { missing: string }): { skip?: string } {
  if (!('missing' in found) || process.env.CI === 'true') return {};
  return { skip: found.missing };
}
