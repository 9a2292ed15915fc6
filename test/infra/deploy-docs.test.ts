/**
 * azure.yaml and the README's deployment section against the Bicep: the service azd deploys is the tagged function app, it is
 * staged locally by `npm run stage`, and the walk-through names every deployment switch, function and
 * Key Vault secret. Each check also runs on a mutated copy to prove it can fail.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { declarationValue, findDeclaration, objectEntries, stringLiteral } from './bicep-tree.ts';
import { loadTemplates, mutate, readRepo } from './infra-files.ts';

const azureYaml = readRepo('azure.yaml');
/** The deployment walk-through: the README's "Deploying to Azure" section. */
const readme = readRepo('README.md');
const deployDoc = readme.slice(readme.indexOf('## Deploying to Azure'), readme.indexOf('## Operating it'));
const parametersJson = readRepo('infra/main.parameters.json');
let main: Node;
let functionApp: Node;

before(async () => {
  const { trees } = await loadTemplates();
  const tree = (path: string): Node => {
    const found = trees.get(path);
    assert.ok(found, path);
    return found;
  };
  main = tree('main.bicep');
  functionApp = tree('modules/functionapp.bicep');
});

/** The string literals of a top-level `var name = [...]` or the values of `var name = {...}`. */
function literalsOf(root: Node, variable: string): string[] {
  const declaration = findDeclaration(root, 'variable_declaration', variable);
  const value = declaration === undefined ? undefined : declarationValue(declaration);
  if (value?.type === 'array') return value.namedChildren.flatMap((n) => stringLiteral(n) ?? []);
  if (value?.type === 'object') return objectEntries(value).flatMap((e) => stringLiteral(e.value) ?? []);
  return [];
}

/** What the README's deployment section must name: deployment switches, functions, Key Vault secrets. */
function docProblems(doc: string): string[] {
  const switches = [...parametersJson.matchAll(/"\$\{(DEPLOY_[A-Z_]+)\}"/g)].map((m) => m[1] ?? '');
  const functions = literalsOf(main, 'functionNames');
  const secrets = literalsOf(main, 'secretNames');
  assert.ok(switches.length > 0 && functions.length > 0 && secrets.length > 0, 'nothing to check');
  return [
    ...switches.filter((s) => !doc.includes(`\`${s}\``)).map((s) => `README deployment does not explain ${s}`),
    ...functions.filter((f) => !doc.includes(`\`${f}\``)).map((f) => `README deployment does not name function ${f}`),
    ...secrets.filter((s) => !doc.includes(s)).map((s) => `README deployment does not name Key Vault secret ${s}`),
  ];
}

/** The deployment contract of azure.yaml, read line by line (the project has no YAML parser). */
function azureYamlProblems(yaml: string): string[] {
  const expected = [
    /^services:\n {2}api:$/m,
    /^ {4}project: \.$/m,
    /^ {4}language: ts$/m,
    /^ {4}host: function$/m,
    /^ {4}remoteBuild: false$/m,
    /^ {4}dist: dist\/\.package$/m,
    /^ {6}prepackage:$/m,
  ];
  const problems = expected.filter((re) => !re.test(yaml)).map((re) => `azure.yaml lacks ${String(re)}`);
  for (const shell of ['posix', 'windows']) {
    const hook = new RegExp(`^ {8}${shell}:\\n((?: {10}.*\\n?)+)`, 'm').exec(yaml)?.[1] ?? '';
    // The staging steps live in tools/package.ts (checked by package.test.ts), so both hooks stage alike.
    if (!/^ {12}npm run stage\b/m.test(hook))
      problems.push(`azure.yaml: ${shell} prepackage hook lacks "npm run stage"`);
  }
  return problems;
}

describe('azure.yaml', () => {
  it('deploys service api as a function app, staged locally by the shared staging script', () => {
    assert.deepEqual(azureYamlProblems(azureYaml), []);
  });

  it('names the service the function app is tagged with', () => {
    const tags = functionApp
      .descendantsOfType('object_property')
      .filter((p) => p.namedChildren[0]?.text === "'azd-service-name'");
    assert.deepEqual(
      tags.map((t) => stringLiteral(t.namedChildren[1])),
      ['api'],
    );
  });

  it('reports a remote build and a hook that does not stage through the shared script', () => {
    const remote = mutate(azureYaml, /^ {4}remoteBuild: false$/m, '    remoteBuild: true');
    assert.deepEqual(azureYamlProblems(remote), [`azure.yaml lacks ${String(/^ {4}remoteBuild: false$/m)}`]);
    const own = mutate(azureYaml, /^ {12}npm run stage$/m, '            npm run build && cp -R dist dist/.package');
    assert.deepEqual(azureYamlProblems(own), ['azure.yaml: posix prepackage hook lacks "npm run stage"']);
  });
});

describe('README deployment walk-through', () => {
  it('explains every deployment switch and names every function and Key Vault secret', () => {
    assert.deepEqual(docProblems(deployDoc), []);
  });

  it('reports a switch, a function and a secret it does not mention', () => {
    const trimmed = deployDoc
      .replaceAll('`DEPLOY_MAX_INSTANCES`', 'max instances')
      .replaceAll('`uriRetry`', 'the retry function')
      .replaceAll('devo-chain', 'the chain secret');
    assert.deepEqual(docProblems(trimmed), [
      'README deployment does not explain DEPLOY_MAX_INSTANCES',
      'README deployment does not name function uriRetry',
      'README deployment does not name Key Vault secret devo-chain',
    ]);
  });
});
