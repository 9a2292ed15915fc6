/**
 * Platform facts of the deployment (Flex Consumption, identity-only storage, RBAC Key Vault, Entra-only telemetry,
 * roles), host.json against the schema, and the metric names the alerts and the workbook query. Each check also runs
 * on a mutated copy to prove it can fail.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { ALL_SETTINGS } from '../../shared/config/index.ts';
import type { Node } from 'web-tree-sitter';
import {
  declarationValue,
  descendants,
  findDeclaration,
  parseBicep,
  property,
  stringLiteral,
  valuesOfKey,
} from './bicep-tree.ts';
import { loadTemplates, mutate, readRepo, type InfraTemplates } from './infra-files.ts';
import { checkPlatformFacts } from './platform-facts.ts';
import { checkHostJson, checkMetricNames } from './settings-consistency.ts';
import { ALERT_QUERY_NEEDS, alertQueryProblems } from './template-checks.ts';
import { METRICS as METRIC_NAMES } from '../../shared/telemetry/metrics.ts';
import { nodeOptionsOf, workerNodeArgs } from '../../tools/bench/worker-node-options.ts';

/** The app's OpenTelemetry metric names (exported with dimension `function`), as the telemetry code defines them. */
const METRICS = Object.values(METRIC_NAMES);

let templates: InfraTemplates;

const alertsTree = (): Node => {
  const tree = templates.trees.get('modules/alerts.bicep');
  assert.ok(tree, 'modules/alerts.bicep');
  return tree;
};

/**
 * The KQL text of a query value in alerts.bicep: a string literal, a variable holding one, or format() of such a
 * template (its placeholders left as they are). Undefined for anything else.
 */
function queryText(root: Node, node: Node | undefined, depth = 0): string | undefined {
  if (node === undefined || depth > 5) return undefined;
  if (node.type === 'string') return stringLiteral(node);
  if (node.type === 'identifier') {
    const declaration = findDeclaration(root, 'variable_declaration', node.text);
    return declaration === undefined ? undefined : queryText(root, declarationValue(declaration), depth + 1);
  }
  if (node.type === 'call_expression' && node.namedChildren[0]?.text === 'format') {
    const args = node.namedChildren.find((c) => c.type === 'arguments');
    return queryText(root, args?.namedChildren[0] ?? undefined, depth + 1);
  }
  return undefined;
}

/** Each rule of `var rules` in alerts.bicep with its query's KQL (undefined when missing or unresolvable). */
function alertQueries(root: Node): Map<string, { query: string | undefined; present: boolean }> {
  const declaration = findDeclaration(root, 'variable_declaration', 'rules');
  const rules = declaration === undefined ? undefined : declarationValue(declaration);
  const result = new Map<string, { query: string | undefined; present: boolean }>();
  for (const rule of rules?.namedChildren.filter((n) => n.type === 'object') ?? []) {
    const name = stringLiteral(property(rule, 'name'));
    const value = property(rule, 'query');
    if (name !== undefined) result.set(name, { query: queryText(root, value), present: value !== undefined });
  }
  return result;
}

/** Problems with the alert rules' queries: what each must read, and that the alert resource runs them. */
function checkAlertQueries(root: Node): string[] {
  const problems: string[] = [];
  const queries = alertQueries(root);
  for (const rule of Object.keys(ALERT_QUERY_NEEDS)) {
    const found = queries.get(rule);
    if (found === undefined) problems.push(`${rule}: no such rule`);
    else if (!found.present) problems.push(`${rule}: no query`);
    else problems.push(...alertQueryProblems(rule, found.query));
  }
  const runs = descendants(root, 'resource_declaration').flatMap((r) => valuesOfKey(r, 'query'));
  for (const value of runs)
    if (value.text !== 'rule.query')
      problems.push(`scheduledQueryRules: the criteria's query is ${value.text}, not rule.query`);
  if (runs.length === 0) problems.push('scheduledQueryRules: no criteria query');
  return problems;
}

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

describe('worker Node options', () => {
  /** Node's own verdict: it refuses to start when NODE_OPTIONS holds a flag it does not allow there. */
  const nodeAccepts = (options: string): boolean =>
    spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: options } }).status === 0;

  it('the deployment sets NODE_OPTIONS to flags Node accepts there, and the bench runs the product with them', () => {
    const options = nodeOptionsOf(readRepo('infra/main.bicep'));
    assert.match(options, /--max-semi-space-size=\d+/);
    assert.match(options, /--v8-pool-size=1\b/);
    assert.ok(nodeAccepts(options), options);
    assert.deepEqual(workerNodeArgs(), options.split(' '));
    // The check can fail: a flag Node does not take from NODE_OPTIONS, and a template without the setting.
    assert.equal(nodeAccepts('--max-semi-space-size=4 --no-such-flag'), false);
    assert.throws(() => nodeOptionsOf(readRepo('infra/main.bicep').replace(/NODE_OPTIONS:/, 'NODE_OPTION:')));
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

  it('alert rules watch silence, failures, lag and Devo send failures, in the queries they run', () => {
    assert.deepEqual(checkAlertQueries(alertsTree()), []);
    assert.deepEqual([...alertQueries(alertsTree()).keys()], Object.keys(ALERT_QUERY_NEEDS));
  });

  it('reports a table or metric that only a comment of alerts.bicep still names', () => {
    const text = templates.texts.get('modules/alerts.bicep') ?? '';
    let broken = mutate(text, '  (requests | where success == false | project fn = operation_Name),\n', '');
    broken = mutate(broken, '  (exceptions | project fn = operation_Name),\n', '');
    broken = mutate(
      broken,
      '| where name == "o365devo.delivery.lag_seconds"',
      '| where name == "o365devo.events.sent"',
    );
    broken = mutate(
      broken,
      'where name == "o365devo.devo.send_failures"',
      'where name != "o365devo.devo.send_failures"',
    );
    // The header comment still names both tables: a text search of the file would not notice.
    assert.ok(broken.includes('`requests` and `exceptions`'));
    assert.deepEqual(checkAlertQueries(parseBicep(templates.parser, broken)), [
      'function-failures: query does not read the requests table',
      'function-failures: query does not filter requests on success == false',
      'function-failures: query does not read the exceptions table',
      'delivery-lag: query does not read metric o365devo.delivery.lag_seconds',
      'devo-send-failures: query does not read metric o365devo.devo.send_failures',
    ]);
  });

  it('reports a rule whose query is missing, cannot be resolved, or is not the one the alert runs', () => {
    const text = templates.texts.get('modules/alerts.bicep') ?? '';
    const unresolved = mutate(text, 'query: lagQuery', 'query: string(maxLagSeconds)');
    assert.deepEqual(checkAlertQueries(parseBicep(templates.parser, unresolved)), [
      'delivery-lag: query is not a literal, a variable or a format() of one',
    ]);
    const noEvents = mutate(text, /\n\s*query: noEventsQuery/, '');
    assert.deepEqual(checkAlertQueries(parseBicep(templates.parser, noEvents)), ['no-events: no query']);
    const unused = mutate(text, 'query: rule.query', 'query: failuresQuery');
    assert.deepEqual(checkAlertQueries(parseBicep(templates.parser, unused)), [
      "scheduledQueryRules: the criteria's query is failuresQuery, not rule.query",
    ]);
  });
});
