/**
 * Checks on the ARM template `bicep build` compiles from infra/main.bicep: what Azure will actually receive. Each
 * returns readable problems (empty when all is well), so a test can show them and feed in mutated copies.
 */
import type { SettingSpec } from '../../shared/config/index.ts';
import {
  at,
  calls,
  createdObject,
  module,
  ofType,
  parseExpression,
  passed,
  resolve,
  type Json,
} from './arm-template.ts';
import { BICEP_HOST_SETTINGS, isFlexForbidden } from './settings-consistency.ts';

type Problems = string[];
const show = (v: Json | undefined): string => JSON.stringify(v);
const expect = (problems: Problems, what: string, actual: Json | undefined, wanted: Json): void => {
  if (show(actual) !== show(wanted)) problems.push(`${what} is ${show(actual)}, expected ${show(wanted)}`);
};

/** Flex Consumption plan, and the function app's runtime, deployment storage and scale in functionAppConfig. */
export function checkFunctionApp(main: Json): Problems {
  const problems: Problems = [];
  const app = module(main, 'functionapp');
  const plan = ofType(app.template, 'Microsoft.Web/serverfarms')[0];
  expect(problems, 'plan sku', at(plan, 'sku'), { name: 'FC1', tier: 'FlexConsumption' });
  const site = ofType(app.template, 'Microsoft.Web/sites')[0];
  expect(problems, 'site kind', at(site, 'kind'), 'functionapp,linux');
  const config = at(site, 'properties', 'functionAppConfig');
  expect(problems, 'runtime', at(config, 'runtime'), { name: 'node', version: '22' });
  const storage = at(config, 'deployment', 'storage');
  expect(problems, 'deployment storage type', at(storage, 'type'), 'blobContainer');
  expect(problems, 'deployment storage', at(storage, 'value'), "[parameters('deploymentContainerUrl')]");
  expect(
    problems,
    'deployment container passed',
    passed(app, 'deploymentContainerUrl'),
    "[reference('storage').outputs.deploymentContainerUrl.value]",
  );
  const containerUrl = at(module(main, 'storage').template, 'outputs', 'deploymentContainerUrl', 'value');
  if (typeof containerUrl !== 'string' || !containerUrl.includes("parameters('deploymentContainerName')"))
    problems.push(`storage output deploymentContainerUrl is ${show(containerUrl)}, not the deployment container`);
  const scale = at(config, 'scaleAndConcurrency');
  expect(problems, 'instanceMemoryMB', at(scale, 'instanceMemoryMB'), "[parameters('instanceMemoryMB')]");
  expect(
    problems,
    'instanceMemoryMB default',
    at(app.template, 'parameters', 'instanceMemoryMB', 'defaultValue'),
    2048,
  );
  expect(problems, 'maximumInstanceCount', at(scale, 'maximumInstanceCount'), "[parameters('maximumInstanceCount')]");
  expect(
    problems,
    'maximumInstanceCount passed',
    passed(app, 'maximumInstanceCount'),
    "[parameters('maximumInstanceCount')]",
  );
  expect(problems, 'maximumInstanceCount default', at(main, 'parameters', 'maximumInstanceCount', 'defaultValue'), 10);
  return problems;
}

/** The user-assigned identity is the app's, and the one storage, Key Vault references and telemetry use. */
export function checkIdentity(main: Json): Problems {
  const problems: Problems = [];
  const app = module(main, 'functionapp');
  const site = ofType(app.template, 'Microsoft.Web/sites')[0];
  const id = "[parameters('identityId')]";
  expect(problems, 'identity passed', passed(app, 'identityId'), "[reference('identity').outputs.resourceId.value]");
  expect(problems, 'site identity type', at(site, 'identity', 'type'), 'UserAssigned');
  expect(problems, 'site identities', Object.keys((at(site, 'identity', 'userAssignedIdentities') ?? {}) as object), [
    "[format('{0}', parameters('identityId'))]",
  ]);
  expect(problems, 'keyVaultReferenceIdentity', at(site, 'properties', 'keyVaultReferenceIdentity'), id);
  expect(
    problems,
    'deployment identity',
    at(site, 'properties', 'functionAppConfig', 'deployment', 'storage', 'authentication'),
    {
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: id,
    },
  );
  const settings = createdObject(passed(app, 'appSettings'));
  const clientId = "reference('identity').outputs.clientId.value";
  expect(
    problems,
    'AzureWebJobsStorage__credential',
    settings.get('AzureWebJobsStorage__credential')?.text,
    "'managedidentity'",
  );
  expect(problems, 'AzureWebJobsStorage__clientId', settings.get('AzureWebJobsStorage__clientId')?.text, clientId);
  expect(
    problems,
    'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')?.text,
    `format('ClientId={0};Authorization=AAD', ${clientId})`,
  );
  expect(
    problems,
    'App Insights local auth off',
    at(
      ofType(module(main, 'monitoring').template, 'Microsoft.Insights/components')[0],
      'properties',
      'DisableLocalAuth',
    ),
    true,
  );
  return problems;
}

/** Built-in role definition IDs, and the resource type each must be scoped to. */
export const ROLES: readonly { role: string; id: string; scope: string; principal: string }[] = [
  {
    role: 'Storage Blob Data Owner',
    id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
  },
  {
    role: 'Storage Table Data Contributor',
    id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
  },
  {
    role: 'Storage Queue Data Contributor',
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    scope: 'Microsoft.Storage/storageAccounts',
    principal: 'app',
  },
  {
    role: 'Key Vault Secrets User',
    id: '4633458b-17de-408a-b874-0445c86b69e6',
    scope: 'Microsoft.KeyVault/vaults',
    principal: 'app',
  },
  {
    role: 'Monitoring Metrics Publisher',
    id: '3913510d-42f4-4e42-8a64-420c390055eb',
    scope: 'Microsoft.Insights/components',
    principal: 'app',
  },
  {
    role: 'Key Vault Secrets Officer',
    id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    scope: 'Microsoft.KeyVault/vaults',
    principal: 'operator',
  },
];

/** Role assignments of the rbac module as [role ID, scope resource type, principal parameter], copies expanded. */
export function roleAssignments(main: Json): string[] {
  const rbac = module(main, 'rbac').template;
  return ofType(rbac, 'Microsoft.Authorization/roleAssignments').flatMap((r) => {
    const count = at(r, 'copy', 'count');
    // A loop's count is length(variables('list')): one assignment per entry of the list.
    const countOf = typeof count === 'string' ? calls(parseExpression(count), 'variables')[0] : undefined;
    const list = countOf === undefined ? undefined : resolve(rbac, countOf);
    const indexes = Array.isArray(list) ? list.map((_, i) => i) : [undefined];
    const definition = parseExpression(String(at(r, 'properties', 'roleDefinitionId')));
    const scope = /^\[resourceId\('([^']+)'/.exec(String(at(r, 'scope')))?.[1] ?? String(at(r, 'scope'));
    const principal = /^\[parameters\('(\w+)'\)\]$/.exec(String(at(r, 'properties', 'principalId')))?.[1] ?? '?';
    return indexes.map((i) => {
      const roleExpr = calls(definition, 'subscriptionResourceId')[0]?.args[1];
      const id = roleExpr === undefined ? undefined : resolve(rbac, roleExpr, i);
      return `${String(id)} on ${scope} for ${principal}`;
    });
  });
}

/** Every role the README lists is assigned to the right principal on the right resource. */
export function checkRoles(main: Json): Problems {
  const assigned = roleAssignments(main);
  const rbac = module(main, 'rbac');
  const problems = ROLES.filter(
    (r) =>
      !assigned.includes(
        `${r.id} on ${r.scope} for ${r.principal === 'app' ? 'appPrincipalId' : 'operatorPrincipalId'}`,
      ),
  ).map((r) => `role ${r.role} (${r.id}) is not assigned to the ${r.principal} on ${r.scope}`);
  expect(
    problems,
    'app principal passed',
    passed(rbac, 'appPrincipalId'),
    "[reference('identity').outputs.principalId.value]",
  );
  return problems;
}

/** Storage without shared keys and with TLS 1.2; Key Vault in RBAC mode. */
export function checkStorageAndVault(main: Json): Problems {
  const problems: Problems = [];
  const account = at(ofType(module(main, 'storage').template, 'Microsoft.Storage/storageAccounts')[0], 'properties');
  expect(problems, 'storage allowSharedKeyAccess', at(account, 'allowSharedKeyAccess'), false);
  expect(problems, 'storage minimumTlsVersion', at(account, 'minimumTlsVersion'), 'TLS1_2');
  expect(problems, 'storage supportsHttpsTrafficOnly', at(account, 'supportsHttpsTrafficOnly'), true);
  expect(problems, 'storage allowBlobPublicAccess', at(account, 'allowBlobPublicAccess'), false);
  const vault = at(ofType(module(main, 'keyvault').template, 'Microsoft.KeyVault/vaults')[0], 'properties');
  expect(problems, 'Key Vault enableRbacAuthorization', at(vault, 'enableRbacAuthorization'), true);
  return problems;
}

/** Every Azure setting of the schema reaches the app, from a parameter with the schema's default or Key Vault. */
export function checkAppSettings(main: Json, settings: readonly SettingSpec<unknown>[]): Problems {
  const problems: Problems = [];
  const appSettings = passed(module(main, 'functionapp'), 'appSettings');
  const entries = createdObject(appSettings);
  if (typeof appSettings !== 'string' || !appSettings.includes("variables('functionSwitches')"))
    problems.push('app settings do not include the AzureWebJobs.<name>.Disabled switches');
  for (const spec of settings.filter((s) => s.where !== 'local')) {
    const value = entries.get(spec.name);
    if (value === undefined) {
      problems.push(`${spec.name}: not an app setting of the function app`);
    } else if (spec.secret === true) {
      if (calls(value, '__bicep.keyVaultReference').length === 0)
        problems.push(`${spec.name}: secret, not a Key Vault reference`);
    } else if (value.kind === 'call' && value.name === 'parameters' && value.args[0]?.kind === 'string') {
      const param = at(main, 'parameters', value.args[0].value);
      const actual = at(param, 'defaultValue');
      // A setting without a schema default is either required (no default) or left to the app ('').
      if (spec.defaultValue !== undefined || actual !== undefined)
        expect(problems, `${spec.name} default (param ${value.args[0].value})`, actual, spec.defaultValue ?? '');
      const allowed = at(param, 'allowedValues');
      for (const v of Array.isArray(allowed) ? allowed : [])
        if (!spec.allowed.includes(`\`${String(v)}\``))
          problems.push(`${spec.name}: allows ${show(v)}, which the schema does not accept`);
    } else if (spec.where !== 'azure') {
      problems.push(`${spec.name}: set to ${value.text}, not to a parameter`);
    }
  }
  const known = new Set(settings.map((s) => s.name));
  for (const name of entries.keys()) {
    if (isFlexForbidden(name)) problems.push(`${name}: not supported on Flex Consumption`);
    else if (!known.has(name) && !BICEP_HOST_SETTINGS.includes(name))
      problems.push(`${name}: not a setting of the schema`);
  }
  return problems;
}

/**
 * What each alert rule's KQL must contain, by rule name. Tables are matched where a query reads them (the name
 * followed by a pipe), metrics where a query filters on them, so a comment or a description naming them does not
 * count.
 */
export const ALERT_QUERY_NEEDS: Readonly<Record<string, readonly (readonly [RegExp, string])[]>> = {
  'no-events': [[/\bname == "o365devo\.events\.sent"/, 'read metric o365devo.events.sent']],
  'function-failures': [
    [/\brequests\s*\|/, 'read the requests table'],
    [/\brequests\s*\|\s*where success == false\b/, 'filter requests on success == false'],
    [/\bexceptions\s*\|/, 'read the exceptions table'],
  ],
  'delivery-lag': [[/\bname == "o365devo\.delivery\.lag_seconds"/, 'read metric o365devo.delivery.lag_seconds']],
  'devo-send-failures': [[/\bname == "o365devo\.devo\.send_failures"/, 'read metric o365devo.devo.send_failures']],
};

/** Problems of one rule's KQL (undefined: it could not be resolved) against ALERT_QUERY_NEEDS. */
export function alertQueryProblems(rule: string, query: string | undefined): Problems {
  if (query === undefined) return [`${rule}: query is not a literal, a variable or a format() of one`];
  return (ALERT_QUERY_NEEDS[rule] ?? []).flatMap(([pattern, what]) =>
    pattern.test(query) ? [] : [`${rule}: query does not ${what}`],
  );
}

/**
 * The KQL text of a template value: a plain string, `variables('x')` of one, or `format()` of such a template (its
 * placeholders left as they are); undefined for anything else.
 */
function kqlText(template: Json, value: Json | undefined, depth = 0): string | undefined {
  if (typeof value !== 'string' || depth > 5) return undefined;
  if (!value.startsWith('[')) return value;
  if (value.startsWith('[[')) return value.slice(1);
  const expr = parseExpression(value);
  const inner = (e: ReturnType<typeof parseExpression> | undefined): string | undefined => {
    if (e?.kind === 'string') return e.value;
    if (e?.kind === 'call' && e.name === 'variables' && e.args[0]?.kind === 'string')
      return kqlText(template, at(template, 'variables', e.args[0].value), depth + 1);
    if (e?.kind === 'call' && e.name === 'format') return inner(e.args[0]);
    return undefined;
  };
  return inner(expr);
}

/** The four alert rules and the workbook, on the Application Insights component. */
export function checkAlertsAndWorkbook(main: Json): Problems {
  const problems: Problems = [];
  const alerts = module(main, 'alerts').template;
  const rules = at(alerts, 'variables', 'rules');
  for (const r of Array.isArray(rules) ? rules : []) {
    const name = at(r, 'name');
    if (typeof name === 'string') problems.push(...alertQueryProblems(name, kqlText(alerts, at(r, 'query'))));
  }
  const ruleNames = at(alerts, 'variables', 'rules');
  expect(problems, 'alert rules', Array.isArray(ruleNames) ? ruleNames.map((r) => at(r, 'name') ?? null) : null, [
    'no-events',
    'function-failures',
    'delivery-lag',
    'devo-send-failures',
  ]);
  const rule = ofType(alerts, 'Microsoft.Insights/scheduledQueryRules')[0];
  expect(problems, 'alert rule copies', at(rule, 'copy', 'count'), "[length(variables('rules'))]");
  expect(problems, 'alert rule scopes', at(rule, 'properties', 'scopes'), ["[parameters('applicationInsightsId')]"]);
  // Each copy runs its own rule's query, the one checked above.
  const criteria = at(rule, 'properties', 'criteria', 'allOf');
  expect(
    problems,
    'alert rule criteria queries',
    Array.isArray(criteria) ? criteria.map((c) => at(c, 'query') ?? null) : null,
    ["[variables('rules')[copyIndex()].query]"],
  );
  expect(problems, 'alert rule action group', at(rule, 'properties', 'actions', 'actionGroups'), [
    "[resourceId('Microsoft.Insights/actionGroups', format('{0}-alerts', parameters('namePrefix')))]",
  ]);
  expect(
    problems,
    'alerts on',
    passed(module(main, 'alerts'), 'applicationInsightsId'),
    "[reference('monitoring').outputs.applicationInsightsId.value]",
  );
  const workbook = ofType(module(main, 'workbook').template, 'Microsoft.Insights/workbooks')[0];
  expect(problems, 'workbook kind', at(workbook, 'kind'), 'shared');
  expect(
    problems,
    'workbook source',
    at(workbook, 'properties', 'sourceId'),
    "[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]",
  );
  // loadJsonContent() lands in a generated variable that `layout` refers to.
  const variables = at(module(main, 'workbook').template, 'variables');
  const layout = Object.values((variables ?? {}) as object)
    .map((v: Json) => at(v, 'items'))
    .find(Array.isArray);
  if (!Array.isArray(layout) || layout.length === 0) problems.push('workbook layout has no items');
  return problems;
}
