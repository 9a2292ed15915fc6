/**
 * Checks that the settings schema, README's settings table, local.settings.sample.json, the app settings of
 * infra/main.bicep and infra/main.parameters.json name the same settings with the same defaults. Each check returns
 * readable problems instead of throwing, so a test can show all of them and feed mutated copies in.
 */
import type { Node } from 'web-tree-sitter';
import type { SettingSpec } from '../../shared/config/index.ts';
import {
  callsFunction,
  decoratorArguments,
  declarationValue,
  findDeclaration,
  identifiersIn,
  literalText,
  objectEntries,
  parameters,
  property,
  stringLiteral,
  type ObjectEntry,
  type ParamInfo,
} from './bicep-tree.ts';

type Settings = readonly SettingSpec<unknown>[];

/** Host and platform settings Bicep may set that are not ours to validate. */
export const BICEP_HOST_SETTINGS: readonly string[] = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // The host's queue endpoint for identity-based storage; the app itself uses no queue.
  'AzureWebJobsStorage__queueServiceUri',
  // Derived from LOG_LEVEL: the host's log level for function logs, which decides whether debug traces are kept.
  'AzureFunctionsJobHost__logging__logLevel__Function',
  // V8 flags for the worker process; the bench runs the product with them (tools/bench/worker-node-options.ts).
  'NODE_OPTIONS',
];
const FUNCTION_SWITCH = /^AzureWebJobs\.[A-Za-z0-9_]+\.Disabled$/;

/** Core Tools needs the worker runtime locally; Flex Consumption rejects it in Azure. */
export const SAMPLE_HOST_SETTINGS: readonly string[] = ['FUNCTIONS_WORKER_RUNTIME'];

/** Settings Flex Consumption does not support: the runtime lives in functionAppConfig, time is UTC only. */
export function isFlexForbidden(name: string): boolean {
  return (
    [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_TIME_ZONE',
      'TZ',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
      'WEBSITE_LOAD_CERTIFICATES',
    ].includes(name) || name.startsWith('WEBSITE_CONTENT')
  );
}

/** Setting names in the first column of README's generated settings table. */
export function readmeSettingNames(readme: string): string[] {
  const start = readme.indexOf('<!-- settings-table:start');
  const end = readme.indexOf('<!-- settings-table:end -->');
  if (start < 0 || end < start) return [];
  return readme
    .slice(start, end)
    .split('\n')
    .flatMap((line) => {
      const name = /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1];
      return name === undefined ? [] : [name];
    });
}

/** Keys of `Values` in local.settings.sample.json. */
export function sampleSettingNames(sample: string): string[] {
  const parsed = JSON.parse(sample) as { Values?: Record<string, string> };
  return Object.keys(parsed.Values ?? {});
}

export interface BicepAppSettings {
  entries: ObjectEntry[];
  params: Map<string, ParamInfo>;
  problems: string[];
}

/** The `appSettings` object of main.bicep: the one list of app settings the function app receives. */
export function bicepAppSettings(main: Node): BicepAppSettings {
  const params = parameters(main);
  const declaration = findDeclaration(main, 'variable_declaration', 'appSettings');
  const value = declaration === undefined ? undefined : declarationValue(declaration);
  if (value?.type !== 'object') {
    return { entries: [], params, problems: ['infra/main.bicep: no `var appSettings = { ... }` object literal'] };
  }
  return { entries: objectEntries(value), params, problems: [] };
}

const missingFrom = (names: Iterable<string>, have: Set<string>, where: string): string[] =>
  [...names].filter((n) => !have.has(n)).map((n) => `${n}: missing from ${where}`);

/** Names in the schema vs README, the sample file and Bicep's app settings, both directions. */
export function checkSettingNames(
  settings: Settings,
  sources: { readme: string; sample: string; bicep: BicepAppSettings },
): string[] {
  const schema = new Set(settings.map((s) => s.name));
  const notAzure = settings.filter((s) => s.where !== 'azure').map((s) => s.name);
  const notLocal = settings.filter((s) => s.where !== 'local').map((s) => s.name);
  const readme = new Set(readmeSettingNames(sources.readme));
  const sample = new Set(sampleSettingNames(sources.sample));
  const bicep = new Set(sources.bicep.entries.map((e) => e.key));
  const problems = [
    ...sources.bicep.problems,
    ...missingFrom(schema, readme, "README.md's settings table"),
    ...missingFrom(notAzure, sample, 'local.settings.sample.json'),
    ...missingFrom(notLocal, bicep, 'the app settings in infra/main.bicep'),
  ];
  for (const name of readme) if (!schema.has(name)) problems.push(`${name}: in README.md but not in the schema`);
  for (const name of sample) {
    if (!notAzure.includes(name) && !SAMPLE_HOST_SETTINGS.includes(name))
      problems.push(`${name}: in local.settings.sample.json but not a local setting of the schema`);
  }
  for (const { key, line } of sources.bicep.entries) {
    if (isFlexForbidden(key))
      problems.push(`${key}: infra/main.bicep:${line} sets it, Flex Consumption does not support it`);
    else if (!notLocal.includes(key) && !BICEP_HOST_SETTINGS.includes(key) && !FUNCTION_SWITCH.test(key))
      problems.push(`${key}: infra/main.bicep:${line} sets it but it is not an Azure setting of the schema`);
  }
  return problems;
}

/** Param defaults equal schema defaults; enum values exist in the schema; secrets come from Key Vault. */
export function checkBicepValues(settings: Settings, bicep: BicepAppSettings): string[] {
  const problems: string[] = [];
  for (const { key, value, line } of bicep.entries) {
    const spec = settings.find((s) => s.name === key);
    if (spec === undefined) continue;
    if (spec.secret === true) {
      if (!callsFunction(value, 'keyVaultReference'))
        problems.push(`${key}: secret, but infra/main.bicep:${line} does not set it to a Key Vault reference`);
      continue;
    }
    const param = value.type === 'identifier' ? bicep.params.get(value.text) : undefined;
    if (param === undefined) continue;
    const actual = param.defaultValue === undefined ? undefined : literalText(param.defaultValue);
    const where = `param ${param.name} (infra/main.bicep:${param.line})`;
    if (spec.defaultValue !== undefined && actual !== spec.defaultValue) {
      problems.push(
        `${key}: ${where} defaults to ${JSON.stringify(actual)}, the schema to ${JSON.stringify(spec.defaultValue)}`,
      );
    }
    if (spec.defaultValue === undefined && actual !== undefined && actual !== '') {
      problems.push(`${key}: ${where} defaults to ${JSON.stringify(actual)}, the schema has no default (use '')`);
    }
    for (const allowed of decoratorArguments(param, 'allowed')?.[0]?.namedChildren ?? []) {
      const text = literalText(allowed);
      if (text !== undefined && !spec.allowed.includes(`\`${text}\``))
        problems.push(`${key}: ${where} allows ${JSON.stringify(text)}, which the schema does not accept`);
    }
  }
  return problems;
}

/**
 * Every timer function (name to schedule setting, from the app's TIMER_FUNCTIONS table) has its schedule in the
 * schema and everywhere else, and Bicep switches each one with AzureWebJobs.<name>.Disabled.
 */
export function checkFunctions(
  functions: ReadonlyMap<string, string>,
  settings: Settings,
  main: Node,
  sources: { readme: string; sample: string; bicep: BicepAppSettings },
): string[] {
  const problems: string[] = [];
  const schema = new Set(settings.map((s) => s.name));
  const readme = new Set(readmeSettingNames(sources.readme));
  const sample = new Set(sampleSettingNames(sources.sample));
  const bicep = new Set(sources.bicep.entries.map((e) => e.key));
  for (const [fn, schedule] of functions) {
    if (!schema.has(schedule)) problems.push(`${fn}: schedule ${schedule} is not a setting of the schema`);
    if (!readme.has(schedule)) problems.push(`${fn}: schedule ${schedule} missing from README.md`);
    if (!sample.has(schedule)) problems.push(`${fn}: schedule ${schedule} missing from local.settings.sample.json`);
    if (!bicep.has(schedule)) problems.push(`${fn}: schedule ${schedule} missing from infra/main.bicep app settings`);
  }

  const declared = findDeclaration(main, 'variable_declaration', 'functionNames');
  const list = declared === undefined ? undefined : declarationValue(declared);
  const names = list?.type === 'array' ? list.namedChildren.map(stringLiteral) : [];
  for (const fn of functions.keys())
    if (!names.includes(fn)) problems.push(`${fn}: missing from var functionNames in infra/main.bicep`);
  for (const name of names)
    if (name === undefined || !functions.has(name))
      problems.push(`${String(name)}: in var functionNames of infra/main.bicep but not a timer function of the app`);

  const switches = findDeclaration(main, 'variable_declaration', 'functionSwitches');
  const switchKey = switches
    ?.descendantsOfType('string')
    .some((s) => /^'AzureWebJobs\.\$\{\w+\}\.Disabled'$/.test(s.text));
  if (switchKey !== true)
    problems.push("infra/main.bicep: var functionSwitches does not build 'AzureWebJobs.${name}.Disabled'");
  const module = findDeclaration(main, 'module_declaration', 'functionApp');
  const passed = property(
    property(module === undefined ? undefined : declarationValue(module), 'params'),
    'appSettings',
  );
  const used = passed === undefined ? new Set<string>() : identifiersIn(passed);
  for (const name of ['appSettings', 'functionSwitches']) {
    if (!used.has(name))
      problems.push(`infra/main.bicep: module functionApp does not pass ${name} as its app settings`);
  }
  return problems;
}

/** main.parameters.json maps each setting's param to the azd variable of the same name as the setting. */
export function checkParametersFile(parametersJson: string, bicep: BicepAppSettings): string[] {
  const file = JSON.parse(parametersJson) as { parameters?: Record<string, { value?: unknown }> };
  const mapped = file.parameters ?? {};
  const problems: string[] = [];
  for (const name of Object.keys(mapped)) {
    if (!bicep.params.has(name))
      problems.push(`${name}: in infra/main.parameters.json but not a param of infra/main.bicep`);
  }
  for (const param of bicep.params.values()) {
    if (param.defaultValue === undefined && !(param.name in mapped))
      problems.push(`${param.name}: required param missing from infra/main.parameters.json`);
  }
  for (const { key, value } of bicep.entries) {
    const param = value.type === 'identifier' ? bicep.params.get(value.text) : undefined;
    if (param === undefined) continue;
    const expected = `\${${key}}`;
    const actual = mapped[param.name]?.value;
    if (actual !== expected)
      problems.push(
        `${key}: infra/main.parameters.json should map ${param.name} to "${expected}", found ${JSON.stringify(actual)}`,
      );
  }
  return problems;
}

/** host.json agrees with the platform facts and the schema's functionTimeout. */
export function checkHostJson(hostJson: string, settings: Settings): string[] {
  const host = JSON.parse(hostJson) as {
    extensionBundle?: { id?: string; version?: string };
    telemetryMode?: string;
    functionTimeout?: string;
  };
  const timeout = settings.find((s) => s.name === 'AzureFunctionsJobHost__functionTimeout')?.defaultValue;
  const problems: string[] = [];
  if (host.extensionBundle?.id !== 'Microsoft.Azure.Functions.ExtensionBundle')
    problems.push(`host.json: extensionBundle.id is ${JSON.stringify(host.extensionBundle?.id)}`);
  if (host.extensionBundle?.version !== '[4.*, 5.0.0)')
    problems.push(
      `host.json: extensionBundle.version is ${JSON.stringify(host.extensionBundle?.version)}, expected "[4.*, 5.0.0)"`,
    );
  if (host.telemetryMode !== 'OpenTelemetry')
    problems.push(`host.json: telemetryMode is ${JSON.stringify(host.telemetryMode)}, expected "OpenTelemetry"`);
  if (timeout === undefined || host.functionTimeout !== timeout)
    problems.push(
      `host.json: functionTimeout is ${JSON.stringify(host.functionTimeout)}, the schema default is ${JSON.stringify(timeout)}`,
    );
  return problems;
}

/** Every `o365devo.*` metric name a query uses is one the app exports. */
export function checkMetricNames(text: string, where: string, known: readonly string[]): string[] {
  const used = new Set(text.match(/o365devo\.[a-z_]+(?:\.[a-z_]+)+/g) ?? []);
  return [...used].filter((m) => !known.includes(m)).map((m) => `${where}: unknown metric ${m}`);
}
