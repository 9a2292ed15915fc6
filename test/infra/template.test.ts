/**
 * The compiled ARM template of infra/main.bicep, read as Azure receives it: Flex Consumption on Node 22, one
 * user-assigned identity for everything, the README's role assignments, locked-down storage and Key Vault, every app
 * setting of the schema with its default, the alert rules and the workbook. Every check also runs on a mutated copy
 * of the template and must fail there. Skipped without a Bicep CLI, except on CI (CI=true).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ALL_SETTINGS } from '../../shared/config/index.ts';
import { at, module, ofType, type Json, type JsonObject } from './arm-template.ts';
import { bicepSkip, buildTemplate, findBicep } from './bicep-cli.ts';
import { readRepo } from './infra-files.ts';
import {
  checkAlertsAndWorkbook,
  checkAppSettings,
  checkFunctionApp,
  checkIdentity,
  checkRoles,
  checkStorageAndVault,
  ROLES,
} from './template-checks.ts';

const found = findBicep();
const skip = bicepSkip(found);
let template: Json;

before(() => {
  if ('missing' in found) {
    if (skip.skip === undefined) assert.fail(found.missing);
    return;
  }
  const built = buildTemplate(found, 'infra/main.bicep');
  assert.deepEqual(built.diagnostics, []);
  template = built.template as Json;
});

/** A deep copy of the template changed by `change`, which must find what it changes. */
function mutated(change: (copy: JsonObject) => void): Json {
  const copy = structuredClone(template) as JsonObject;
  change(copy);
  return copy;
}

const inner = (t: Json, mod: string, type: string): JsonObject => {
  const found = ofType(module(t, mod).template, type)[0];
  assert.ok(found, `${mod}: ${type}`);
  return found;
};
const props = (r: JsonObject): JsonObject => r.properties as JsonObject;
/** The object at a path of keys, which must be there. */
function dig(value: Json | undefined, ...path: string[]): JsonObject {
  const found = at(value, ...path);
  assert.ok(typeof found === 'object' && found !== null && !Array.isArray(found), path.join('.'));
  return found;
}
/** The array at a path of keys, which must be there. */
function list(value: Json | undefined, ...path: string[]): Json[] {
  const found = at(value, ...path);
  assert.ok(Array.isArray(found), path.join('.'));
  return found;
}
const params = (t: Json, mod: string): JsonObject => module(t, mod).parameters;
const setSetting = (t: JsonObject, from: string, to: string): void => {
  const p = params(t, 'functionapp').appSettings as { value: string };
  assert.ok(p.value.includes(from), from);
  p.value = p.value.replace(from, to);
};

const cases: { name: string; check: (t: Json) => string[]; mutations: [string, (t: JsonObject) => void, RegExp][] }[] =
  [
    {
      name: 'function app: FC1 plan, Node 22, deployment container, memory, maximumInstanceCount',
      check: checkFunctionApp,
      mutations: [
        [
          'Y1 plan',
          (t) => ((inner(t, 'functionapp', 'Microsoft.Web/serverfarms').sku as JsonObject).name = 'Y1'),
          /plan sku/,
        ],
        [
          'Node 20',
          (t) =>
            (dig(props(inner(t, 'functionapp', 'Microsoft.Web/sites')), 'functionAppConfig', 'runtime').version = '20'),
          /runtime/,
        ],
        [
          'other container',
          (t) =>
            ((params(t, 'functionapp').deploymentContainerUrl as JsonObject).value =
              "[reference('storage').outputs.blobEndpoint.value]"),
          /deployment container passed/,
        ],
        [
          'memory 4096',
          (t) => (dig(module(t, 'functionapp').template, 'parameters', 'instanceMemoryMB').defaultValue = 4096),
          /instanceMemoryMB default/,
        ],
        [
          'fixed instance count',
          (t) =>
            (dig(
              props(inner(t, 'functionapp', 'Microsoft.Web/sites')),
              'functionAppConfig',
              'scaleAndConcurrency',
            ).maximumInstanceCount = 100),
          /maximumInstanceCount is 100/,
        ],
      ],
    },
    {
      name: 'user-assigned identity: app, storage, Key Vault references, App Insights ingestion',
      check: checkIdentity,
      mutations: [
        [
          'system identity',
          (t) => ((inner(t, 'functionapp', 'Microsoft.Web/sites').identity as JsonObject).type = 'SystemAssigned'),
          /site identity type/,
        ],
        [
          'no keyVaultReferenceIdentity',
          (t) => delete props(inner(t, 'functionapp', 'Microsoft.Web/sites')).keyVaultReferenceIdentity,
          /keyVaultReferenceIdentity/,
        ],
        [
          'storage without client ID',
          (t) =>
            setSetting(
              t,
              "'AzureWebJobsStorage__clientId', reference('identity').outputs.clientId.value",
              "'AzureWebJobsStorage__clientId', ''",
            ),
          /AzureWebJobsStorage__clientId/,
        ],
        [
          'key-based ingestion',
          (t) =>
            setSetting(
              t,
              "format('ClientId={0};Authorization=AAD', reference('identity').outputs.clientId.value)",
              "''",
            ),
          /APPLICATIONINSIGHTS_AUTHENTICATION_STRING/,
        ],
      ],
    },
    {
      name: 'role assignments of the README, each on its resource',
      check: checkRoles,
      mutations: [
        [
          'no queue role',
          (t) => list(module(t, 'rbac').template, 'variables', 'storageRoles').pop(),
          /Storage Queue Data Contributor/,
        ],
        [
          'secrets user on storage',
          (t) => {
            const r = ofType(module(t, 'rbac').template, 'Microsoft.Authorization/roleAssignments')[1] as JsonObject;
            r.scope = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]";
          },
          /Key Vault Secrets User .* on Microsoft.KeyVault\/vaults/,
        ],
        [
          'metrics publisher to the operator',
          (t) =>
            (props(
              ofType(module(t, 'rbac').template, 'Microsoft.Authorization/roleAssignments')[2] as JsonObject,
            ).principalId = "[parameters('operatorPrincipalId')]"),
          /Monitoring Metrics Publisher/,
        ],
      ],
    },
    {
      name: 'storage without shared keys on TLS 1.2, Key Vault in RBAC mode',
      check: checkStorageAndVault,
      mutations: [
        [
          'shared keys',
          (t) => (props(inner(t, 'storage', 'Microsoft.Storage/storageAccounts')).allowSharedKeyAccess = true),
          /allowSharedKeyAccess/,
        ],
        [
          'TLS 1.0',
          (t) => (props(inner(t, 'storage', 'Microsoft.Storage/storageAccounts')).minimumTlsVersion = 'TLS1_0'),
          /minimumTlsVersion/,
        ],
        [
          'access policies',
          (t) => (props(inner(t, 'keyvault', 'Microsoft.KeyVault/vaults')).enableRbacAuthorization = false),
          /enableRbacAuthorization/,
        ],
      ],
    },
    {
      name: 'every app setting of the schema, with its default',
      check: (t) => checkAppSettings(t, ALL_SETTINGS),
      mutations: [
        [
          'DEVO_PORT missing',
          (t) => setSetting(t, "'DEVO_PORT', parameters('devoPort'), ", ''),
          /DEVO_PORT: not an app setting/,
        ],
        [
          'other default',
          (t) => (dig(t, 'parameters', 'dlpAllSchedule').defaultValue = '0 */10 * * * *'),
          /DLP_ALL_SCHEDULE default/,
        ],
        [
          'plain secret',
          (t) =>
            setSetting(
              t,
              "if(variables('devoPem'), __bicep.keyVaultReference(variables('keyVaultName'), variables('secretNames').devoKey), '')",
              "parameters('devoKey')",
            ),
          /DEVO_KEY: secret/,
        ],
        [
          'worker runtime',
          (t) =>
            setSetting(
              t,
              "'DEVO_PORT', parameters('devoPort')",
              "'DEVO_PORT', parameters('devoPort'), 'FUNCTIONS_WORKER_RUNTIME', 'node'",
            ),
          /FUNCTIONS_WORKER_RUNTIME: not supported/,
        ],
        ['no switches', (t) => setSetting(t, ", variables('functionSwitches')", ''), /Disabled switches/],
      ],
    },
    {
      name: 'alert rules and workbook',
      check: checkAlertsAndWorkbook,
      mutations: [
        ['no lag rule', (t) => list(module(t, 'alerts').template, 'variables', 'rules').splice(2, 1), /alert rules/],
        [
          'failures without requests',
          (t) => {
            const vars = dig(module(t, 'alerts').template, 'variables');
            const query = String(vars.failuresQuery);
            vars.failuresQuery = query.replace(
              '(requests | where success == false | project fn = operation_Name),',
              '',
            );
            assert.notEqual(vars.failuresQuery, query);
          },
          /function-failures: query does not read the requests table/,
        ],
        [
          'failures without exceptions',
          (t) => {
            const vars = dig(module(t, 'alerts').template, 'variables');
            const query = String(vars.failuresQuery);
            vars.failuresQuery = query.replace('(exceptions | project fn = operation_Name),', '');
            assert.notEqual(vars.failuresQuery, query);
          },
          /function-failures: query does not read the exceptions table/,
        ],
        [
          'lag on another metric',
          (t) => {
            const vars = dig(module(t, 'alerts').template, 'variables');
            vars.lagTemplate = String(vars.lagTemplate).replace(
              'o365devo.delivery.lag_seconds',
              'o365devo.events.sent',
            );
          },
          /delivery-lag: query does not read metric o365devo\.delivery\.lag_seconds/,
        ],
        [
          'no-events on another metric',
          (t) => {
            const vars = dig(module(t, 'alerts').template, 'variables');
            vars.noEventsTemplate = String(vars.noEventsTemplate).replace(
              'o365devo.events.sent',
              'o365devo.api.throttled',
            );
          },
          /no-events: query does not read metric o365devo\.events\.sent/,
        ],
        [
          'Devo failures query unresolvable',
          (t) => {
            const rules = list(module(t, 'alerts').template, 'variables', 'rules');
            dig(rules[3]).query = "[parameters('devoSendFailuresThreshold')]";
          },
          /devo-send-failures: query is not a literal/,
        ],
        [
          'one fixed query for every rule',
          (t) => {
            const rule = inner(t, 'alerts', 'Microsoft.Insights/scheduledQueryRules');
            const criteria = list(rule, 'properties', 'criteria', 'allOf');
            dig(criteria[0]).query = "[variables('failuresQuery')]";
          },
          /alert rule criteria queries/,
        ],
        [
          'workbook elsewhere',
          (t) => (props(inner(t, 'workbook', 'Microsoft.Insights/workbooks')).sourceId = '[resourceGroup().id]'),
          /workbook source/,
        ],
      ],
    },
  ];

describe('compiled ARM template', () => {
  for (const { name, check, mutations } of cases) {
    it(name, skip, () => {
      assert.deepEqual(check(template), []);
      for (const [what, change, problem] of mutations)
        assert.match(check(mutated(change)).join('\n'), problem, `mutation "${what}" must be reported`);
    });
  }

  it('README names every role it assigns', () => {
    const readme = readRepo('README.md');
    const deploy = readme.slice(readme.indexOf('## Deploying to Azure'), readme.indexOf('## Operating it'));
    assert.deepEqual(
      ROLES.filter((r) => !deploy.includes(r.role)).map((r) => r.role),
      [],
    );
  });
});
