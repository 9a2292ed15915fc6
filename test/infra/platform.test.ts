/**
 * Platform facts of the deployment (Flex Consumption, identity-only storage, RBAC Key Vault, Entra-only telemetry,
 * roles), host.json against the schema, and the metric names the alerts and the workbook query. Each check also runs
 * on a mutated copy to prove it can fail.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ALL_SETTINGS } from '../../shared/config/index.ts';
import { parseBicep } from './bicep-tree.ts';
import { loadTemplates, mutate, readRepo, type InfraTemplates } from './infra-files.ts';
import { checkPlatformFacts } from './platform-facts.ts';
import { checkHostJson, checkMetricNames } from './settings-consistency.ts';
import { METRICS as METRIC_NAMES } from '../../shared/telemetry/metrics.ts';

/** The app's OpenTelemetry metric names (exported with dimension `function`), as the telemetry code defines them. */
const METRICS = Object.values(METRIC_NAMES);

let templates: InfraTemplates;

before(async () => {
  templates = await loadTemplates();
});

const hostJson = readRepo('host.json');

describe('host.json', () => {
  it('has the extension bundle range, OpenTelemetry and the schema functionTimeout', () => {
    assert.deepEqual(checkHostJson(hostJson, ALL_SETTINGS), []);
  });

  it('reports each wrong value', () => {
    const host = JSON.parse(hostJson) as Record<string, unknown>;
    const broken = JSON.stringify({
      ...host,
      extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[3.*, 4.0.0)' },
      telemetryMode: undefined,
      functionTimeout: '00:10:00',
    });
    assert.deepEqual(checkHostJson(broken, ALL_SETTINGS), [
      'host.json: extensionBundle.version is "[3.*, 4.0.0)", expected "[4.*, 5.0.0)"',
      'host.json: telemetryMode is undefined, expected "OpenTelemetry"',
      'host.json: functionTimeout is "00:10:00", the schema default is "00:30:00"',
    ]);
  });
});

describe('platform facts', () => {
  it('Flex Consumption on Node 22, identity-only storage, RBAC Key Vault, Entra-only telemetry, roles', () => {
    assert.deepEqual(checkPlatformFacts(templates.trees), []);
  });

  it('reports a shared key, a missing role and an unsupported setting', () => {
    const mutated = new Map(templates.trees);
    const storage = mutate(
      templates.texts.get('modules/storage.bicep') ?? '',
      'allowSharedKeyAccess: false',
      'allowSharedKeyAccess: true',
    );
    mutated.set('modules/storage.bicep', parseBicep(templates.parser, storage));
    const rbac = mutate(templates.texts.get('modules/rbac.bicep') ?? '', /\n\s*keyVaultSecretsUser: '[^']+'/, '');
    mutated.set(
      'modules/rbac.bicep',
      parseBicep(templates.parser, rbac.replaceAll('roles.keyVaultSecretsUser', "'none'")),
    );
    const app = mutate(
      templates.texts.get('modules/functionapp.bicep') ?? '',
      "ftpsState: 'Disabled'",
      "ftpsState: 'Disabled'\n      WEBSITE_TIME_ZONE: 'UTC'",
    );
    mutated.set('modules/functionapp.bicep', parseBicep(templates.parser, app));
    const problems = checkPlatformFacts(mutated).join('\n');
    assert.match(problems, /storage\.bicep: allowSharedKeyAccess should be "false", found \["true"\]/);
    assert.match(
      problems,
      /rbac\.bicep: role Key Vault Secrets User \(4633458b-17de-408a-b874-0445c86b69e6\) is not assigned/,
    );
    assert.match(problems, /functionapp\.bicep:\d+: WEBSITE_TIME_ZONE is not supported on Flex Consumption/);
  });
});

describe('alerts and workbook', () => {
  const workbook = readRepo('infra/workbook/o365devo.workbook.json');

  it('use only metric names the app exports', () => {
    assert.deepEqual(checkMetricNames(templates.texts.get('modules/alerts.bicep') ?? '', 'alerts.bicep', METRICS), []);
    assert.deepEqual(checkMetricNames(workbook, 'workbook', METRICS), []);
    assert.deepEqual(checkMetricNames('name == "o365devo.event.sent"', 'alerts.bicep', METRICS), [
      'alerts.bicep: unknown metric o365devo.event.sent',
    ]);
  });

  it('workbook is a Notebook/1.0 document whose queries cover the per-function views', () => {
    const doc = JSON.parse(workbook) as { version: string; items: { content: { query?: string } }[] };
    assert.equal(doc.version, 'Notebook/1.0');
    const queries = doc.items.flatMap((i) => (i.content.query === undefined ? [] : [i.content.query])).join('\n');
    for (const needed of [
      'o365devo.events.sent',
      'o365devo.duplicates.dropped',
      'o365devo.delivery.lag_seconds',
      'o365devo.api.throttled',
      'success == false',
      'lastSuccessfulRun',
    ])
      assert.ok(queries.includes(needed), needed);
  });

  it('alert rules watch silence, failures, lag and Devo send failures', () => {
    const alerts = templates.texts.get('modules/alerts.bicep') ?? '';
    for (const needed of [
      'o365devo.events.sent',
      'o365devo.delivery.lag_seconds',
      'o365devo.devo.send_failures',
      'requests',
      'exceptions',
    ])
      assert.ok(alerts.includes(needed), needed);
  });
});
