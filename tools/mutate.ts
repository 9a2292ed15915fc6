/**
 * `npm run mutate`: flips a few lines the product's guarantees rest on, one at a time, runs the tests that guard
 * them, and reports each mutant the tests failed to kill. It works on a scratch copy of the working tree, so the
 * checkout itself is never changed, whatever happens meanwhile. Not part of `npm test`: it runs the guarding tests
 * once per mutant (several minutes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const checkout = fileURLToPath(new URL('../', import.meta.url));
const repo = `${mkdtempSync(join(tmpdir(), 'o365devo-mutate-'))}/`;
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
  cwd: checkout,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(checkout, f)));
for (const file of files) {
  mkdirSync(dirname(join(repo, file)), { recursive: true });
  cpSync(join(checkout, file), join(repo, file), { dereference: false });
}
symlinkSync(join(checkout, 'node_modules'), join(repo, 'node_modules'));

interface Mutant {
  name: string;
  file: string;
  /** Text that must occur exactly once in the file. */
  find: string;
  replace: string;
  /** Test files that must fail with the mutant in place. */
  tests: string[];
}

const MUTANTS: Mutant[] = [
  {
    name: 'the cursor is saved before Devo confirmed the events',
    file: 'shared/pipeline/pipeline.ts',
    find: 'await this.#deliver();\n      let saved: ProgressSaved | void = undefined;\n      if (progress !== undefined) await this.#write(async () => (saved = await progress()));',
    replace:
      'let saved: ProgressSaved | void = undefined;\n      if (progress !== undefined) await this.#write(async () => (saved = await progress()));\n      await this.#deliver();',
    tests: ['test/pipeline/pipeline.test.ts', 'test/integration/management-isolation.test.ts'],
  },
  {
    name: 'the dedupe filter check is skipped',
    file: 'shared/management/records.ts',
    find: 'if (!filter.addIfNew(raw)) {',
    replace: 'if (!(filter.addIfNew(raw) || true)) {',
    tests: ['test/management/records.test.ts', 'test/integration/management.test.ts'],
  },
  {
    name: 'a failed blob is not added to the retry list',
    file: 'shared/management/collector.ts',
    find: 'await run.retries.recordFailure({ functionName: run.fn.functionName, ...failure }, new Date());',
    replace: 'void failure;',
    tests: ['test/integration/management-isolation.test.ts'],
  },
  {
    name: 'the host allow-list check is removed',
    file: 'shared/http/client.ts',
    find: 'if (!allowed.has(url.origin)) throw hostNotAllowed(url, [...allowed]);',
    replace: 'void hostNotAllowed;',
    tests: ['test/http/client.test.ts', 'test/integration/management-faults.test.ts'],
  },
  {
    name: 'the message trace delay boundary is one second late',
    file: 'shared/messagetrace/collector.ts',
    find: 'Math.floor((at.getTime() - config.delayMs) / 1000) * 1000',
    replace: 'Math.floor((at.getTime() - config.delayMs) / 1000) * 1000 + 1000',
    tests: ['test/messagetrace/collector.test.ts'],
  },
];

const originals = new Map<string, string>();
const restore = (): void => {
  for (const [file, text] of originals) writeFileSync(`${repo}${file}`, text);
  originals.clear();
};
process.on('SIGINT', () => {
  rmSync(repo, { recursive: true, force: true });
  process.exit(130);
});

const only = process.argv[2];
const survivors: string[] = [];
for (const mutant of MUTANTS.filter((m) => only === undefined || m.name.includes(only))) {
  const path = `${repo}${mutant.file}`;
  const text = readFileSync(path, 'utf8');
  if (text.split(mutant.find).length !== 2) {
    console.error(
      `mutate: "${mutant.name}": the line to flip is not in ${mutant.file} exactly once; update tools/mutate.ts.`,
    );
    process.exit(2);
  }
  originals.set(mutant.file, text);
  writeFileSync(path, text.replace(mutant.find, mutant.replace));
  const started = Date.now();
  try {
    const run = spawnSync(process.execPath, ['--test', ...mutant.tests], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 15 * 60_000,
      env: { ...process.env, NODE_ENV: 'test' },
    });
    const killed = run.status !== 0;
    if (!killed) survivors.push(mutant.name);
    console.log(
      `${killed ? 'killed  ' : 'SURVIVED'} ${mutant.name} (${mutant.tests.join(', ')}; ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  } finally {
    restore();
  }
}
rmSync(repo, { recursive: true, force: true });
console.log(
  survivors.length === 0
    ? 'mutate: every mutant was killed.'
    : `mutate: ${survivors.length} mutant(s) survived: ${survivors.join('; ')}`,
);
process.exit(survivors.length === 0 ? 0 : 1);
