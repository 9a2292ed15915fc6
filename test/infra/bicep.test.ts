/**
 * The Bicep templates parse offline, and the settings schema, README's settings table, local.settings.sample.json,
 * the app settings of infra/main.bicep and infra/main.parameters.json agree. Each check also runs on a mutated copy of
 * the real text to prove it can fail.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { ALL_SETTINGS } from '../../shared/config/index.ts';
import { scheduleSetting } from '../../shared/config/schema/schedules.ts';
import { TIMER_FUNCTIONS } from '../../shared/timers.ts';
import { parseBicep, syntaxProblems } from './bicep-tree.ts';
import { infraFiles, loadTemplates, mutate, readRepo, type InfraTemplates } from './infra-files.ts';
import {
  bicepAppSettings,
  checkBicepValues,
  checkFunctions,
  checkParametersFile,
  checkSettingNames,
} from './settings-consistency.ts';

let templates: InfraTemplates;
let parser: Parser;
const mainText = (): string => templates.texts.get('main.bicep') ?? '';

before(async () => {
  templates = await loadTemplates();
  parser = templates.parser;
});

const sources = {
  readme: readRepo('README.md'),
  sample: readRepo('local.settings.sample.json'),
  parameters: readRepo('infra/main.parameters.json'),
};

/** The app's timer functions: name to the name of its schedule setting. */
const TIMERS: ReadonlyMap<string, string> = new Map(TIMER_FUNCTIONS.map((f) => [f.name, f.schedule.name]));

/** Every settings check on a main.bicep text and the other sources (each possibly mutated). */
function settingsProblems(main: string, other = sources, settings = ALL_SETTINGS, timers = TIMERS): string[] {
  const tree = parseBicep(parser, main);
  const bicep = bicepAppSettings(tree);
  const docs = { readme: other.readme, sample: other.sample, bicep };
  return [
    ...checkSettingNames(settings, docs),
    ...checkBicepValues(settings, bicep),
    ...checkFunctions(timers, settings, tree, docs),
    ...checkParametersFile(other.parameters, bicep),
  ];
}

describe('Bicep syntax', () => {
  it('finds the main template and its modules, and no .bicepparam file', () => {
    assert.ok(templates.trees.has('main.bicep'));
    for (const m of ['alerts', 'functionapp', 'identity', 'keyvault', 'monitoring', 'rbac', 'storage', 'workbook'])
      assert.ok(templates.trees.has(`modules/${m}.bicep`), `modules/${m}.bicep`);
    assert.deepEqual(
      infraFiles.filter((p) => p.endsWith('.bicepparam')),
      [],
    );
  });

  it('parses every .bicep file under infra/ without ERROR or MISSING nodes', () => {
    const problems = [...templates.trees].flatMap(([path, tree]) =>
      syntaxProblems(tree).map((p) => `infra/${path}:${p.line}:${p.column} ${p.kind} ${p.detail}`),
    );
    assert.deepEqual(problems, []);
  });

  it('reports the line of a missing brace and of an object spread', () => {
    const unclosed = mutate(mainText(), /(module identity [^\n]*\n(?: [^\n]*\n)*)\}\n/, '$1\n');
    const problems = syntaxProblems(parseBicep(parser, unclosed));
    assert.ok(problems.length > 0, 'an unclosed module body must be reported');
    const identityLine =
      mainText()
        .split('\n')
        .findIndex((l) => l.startsWith('module identity')) + 1;
    assert.ok(
      problems.every((p) => p.line >= identityLine),
      JSON.stringify(problems),
    );

    const spread = mutate(mainText(), '  STATE_TABLE_NAME: stateTableName\n', '  ...functionSwitches\n');
    const spreadLine = spread.split('\n').findIndex((l) => l.includes('...functionSwitches')) + 1;
    assert.ok(syntaxProblems(parseBicep(parser, spread)).some((p) => p.line === spreadLine));
  });
});

describe('settings consistency', () => {
  it('schema, README, sample settings, main.bicep and main.parameters.json agree', () => {
    assert.deepEqual(settingsProblems(mainText()), []);
  });

  it('reports a setting missing from Bicep, an unknown one and an unsupported one', () => {
    assert.deepEqual(settingsProblems(mutate(mainText(), '  DEVO_PORT: devoPort\n', '')), [
      'DEVO_PORT: missing from the app settings in infra/main.bicep',
    ]);
    const extra = mutate(mainText(), '  DEVO_PORT: devoPort\n', "  DEVO_PORT: devoPort\n  DEVO_PROTOCOL: 'tcp'\n");
    assert.match(
      settingsProblems(extra).join('\n'),
      /DEVO_PROTOCOL: infra\/main\.bicep:\d+ sets it but it is not an Azure setting/,
    );
    const runtime = mutate(
      mainText(),
      '  DEVO_PORT: devoPort\n',
      "  DEVO_PORT: devoPort\n  FUNCTIONS_WORKER_RUNTIME: 'node'\n",
    );
    assert.match(
      settingsProblems(runtime).join('\n'),
      /FUNCTIONS_WORKER_RUNTIME: .*Flex Consumption does not support it/,
    );
  });

  it('reports drift in README and in local.settings.sample.json', () => {
    const readme = mutate(sources.readme, /^\| `HTTP_RETRIES` \|.*\n/m, '');
    assert.deepEqual(settingsProblems(mainText(), { ...sources, readme }), [
      "HTTP_RETRIES: missing from README.md's settings table",
    ]);
    const sample = mutate(sources.sample, /\n\s*"DEVO_HOST": "[^"]*",/, '\n    "DEVO_HOSTNAME": "x",');
    assert.deepEqual(settingsProblems(mainText(), { ...sources, sample }), [
      'DEVO_HOST: missing from local.settings.sample.json',
      'DEVO_HOSTNAME: in local.settings.sample.json but not a local setting of the schema',
    ]);
  });

  it('reports a schema setting that nothing else knows yet', () => {
    const added = [
      ...ALL_SETTINGS,
      { ...ALL_SETTINGS[ALL_SETTINGS.length - 1]!, name: 'TRACE_PAGE_SIZE', where: undefined },
    ];
    assert.deepEqual(settingsProblems(mainText(), sources, added), [
      "TRACE_PAGE_SIZE: missing from README.md's settings table",
      'TRACE_PAGE_SIZE: missing from local.settings.sample.json',
      'TRACE_PAGE_SIZE: missing from the app settings in infra/main.bicep',
    ]);
  });

  it('reports a Bicep default that differs from the schema, a plain secret and a foreign allowed value', () => {
    const schedule = mutate(
      mainText(),
      "param dlpAllSchedule string = '0 */5 * * * *'",
      "param dlpAllSchedule string = '0 */10 * * * *'",
    );
    assert.match(
      settingsProblems(schedule).join('\n'),
      /DLP_ALL_SCHEDULE: param dlpAllSchedule .* defaults to "0 \*\/10 \* \* \* \*", the schema to "0 \*\/5 \* \* \* \*"/,
    );
    const noDefault = mutate(
      mainText(),
      "param managementStartTime string = ''",
      "param managementStartTime string = '2026-01-01T00:00:00Z'",
    );
    assert.match(settingsProblems(noDefault).join('\n'), /MANAGEMENT_START_TIME: .* the schema has no default/);
    const plain = mutate(mainText(), / {2}DEVO_KEY: [^\n]*\n/, '  DEVO_KEY: devoKey\n');
    assert.match(
      settingsProblems(plain).join('\n'),
      /DEVO_KEY: secret, but infra\/main\.bicep:\d+ does not set it to a Key Vault reference/,
    );
    const allowed = mutate(mainText(), "@allowed(['none', 'gzip'])", "@allowed(['none', 'gzip', 'zstd'])");
    assert.match(
      settingsProblems(allowed).join('\n'),
      /DEVO_COMPRESSION: .* allows "zstd", which the schema does not accept/,
    );
  });

  it('reports a function without its schedule, without its switch, or unknown to the app', () => {
    // A new timer function with its schedule in the schema but nowhere else yet.
    const timers = new Map([...TIMERS, ['auditTeams', 'AUDIT_TEAMS_SCHEDULE']]);
    const withTeams = [...ALL_SETTINGS, scheduleSetting('AUDIT_TEAMS_SCHEDULE', 99, 'auditTeams', '0 */5 * * * *')];
    const teamsProblems = (settings: typeof ALL_SETTINGS): string[] =>
      settingsProblems(mainText(), sources, settings, timers).filter((p) => p.startsWith('auditTeams'));
    assert.deepEqual(teamsProblems(withTeams), [
      'auditTeams: schedule AUDIT_TEAMS_SCHEDULE missing from README.md',
      'auditTeams: schedule AUDIT_TEAMS_SCHEDULE missing from local.settings.sample.json',
      'auditTeams: schedule AUDIT_TEAMS_SCHEDULE missing from infra/main.bicep app settings',
      'auditTeams: missing from var functionNames in infra/main.bicep',
    ]);
    assert.equal(
      teamsProblems(ALL_SETTINGS)[0],
      'auditTeams: schedule AUDIT_TEAMS_SCHEDULE is not a setting of the schema',
    );

    const dropped = mutate(mainText(), "  'dlpAll'\n", '');
    assert.deepEqual(settingsProblems(dropped), ['dlpAll: missing from var functionNames in infra/main.bicep']);
    const unknown = mutate(mainText(), "  'dlpAll'\n", "  'dlpAll'\n  'auditTeams'\n");
    assert.deepEqual(settingsProblems(unknown), [
      'auditTeams: in var functionNames of infra/main.bicep but not a timer function of the app',
    ]);
    const unswitched = mutate(
      mainText(),
      'appSettings: union(appSettings, functionSwitches)',
      'appSettings: appSettings',
    );
    assert.deepEqual(settingsProblems(unswitched), [
      'infra/main.bicep: module functionApp does not pass functionSwitches as its app settings',
    ]);
  });

  it('reports a parameter mapped to the wrong azd variable or not mapped at all', () => {
    const parameters = mutate(sources.parameters, '"${DEVO_HOST}"', '"${DEVO_HOSTNAME}"');
    assert.deepEqual(settingsProblems(mainText(), { ...sources, parameters }), [
      'DEVO_HOST: infra/main.parameters.json should map devoHost to "${DEVO_HOST}", found "${DEVO_HOSTNAME}"',
    ]);
    const required = mutate(sources.parameters, /\s*"o365TenantId": \{\s*"value": "\$\{O365_TENANT_ID\}"\s*\},/, '');
    assert.deepEqual(settingsProblems(mainText(), { ...sources, parameters: required }), [
      'o365TenantId: required param missing from infra/main.parameters.json',
      'O365_TENANT_ID: infra/main.parameters.json should map o365TenantId to "${O365_TENANT_ID}", found undefined',
    ]);
  });
});
