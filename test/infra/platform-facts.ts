/**
 * Platform facts the deployment must keep (the README's deployment section and the Functions platform reference): Flex Consumption
 * on Node 22, identity-only storage, Key Vault in RBAC mode, Entra-only telemetry, the identity's roles, no
 * unsupported settings. Read from the syntax trees of the infra files, keyed by their path under infra/.
 */
import type { Node } from 'web-tree-sitter';
import { descendants, literalText, objectEntries, valuesOfKey } from './bicep-tree.ts';
import { isFlexForbidden } from './settings-consistency.ts';

/** [file, key, expected literal]: every occurrence of `key` in the file must be this literal, and one must exist. */
const EXPECTED: readonly [string, string, string][] = [
  ['modules/functionapp.bicep', 'tier', 'FlexConsumption'],
  ['modules/functionapp.bicep', 'httpsOnly', 'true'],
  ['modules/functionapp.bicep', 'minTlsVersion', '1.2'],
  ['modules/functionapp.bicep', 'ftpsState', 'Disabled'],
  ['modules/functionapp.bicep', 'allow', 'false'],
  ['modules/functionapp.bicep', 'version', '22'],
  ['modules/storage.bicep', 'allowSharedKeyAccess', 'false'],
  ['modules/storage.bicep', 'allowBlobPublicAccess', 'false'],
  ['modules/storage.bicep', 'minimumTlsVersion', 'TLS1_2'],
  ['modules/storage.bicep', 'supportsHttpsTrafficOnly', 'true'],
  ['modules/keyvault.bicep', 'enableRbacAuthorization', 'true'],
  ['modules/keyvault.bicep', 'enableSoftDelete', 'true'],
  ['modules/monitoring.bicep', 'DisableLocalAuth', 'true'],
  ['main.bicep', 'AzureWebJobsStorage__credential', 'managedidentity'],
];

/** [file, key, literal]: at least one occurrence of `key` must be this literal (the key also names other things). */
const PRESENT: readonly [string, string, string][] = [
  ['modules/functionapp.bicep', 'kind', 'functionapp,linux'],
  ['modules/functionapp.bicep', 'name', 'FC1'],
  ['modules/functionapp.bicep', 'name', 'node'],
  ['modules/functionapp.bicep', 'name', 'appsettings'],
  ['modules/functionapp.bicep', 'type', 'UserAssignedIdentity'],
  ['modules/functionapp.bicep', 'type', 'UserAssigned'],
];

/** Built-in role definition IDs the app's identity needs. */
export const REQUIRED_ROLES: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
};

const texts = (nodes: Node[]): (string | undefined)[] => nodes.map(literalText);

export function checkPlatformFacts(files: ReadonlyMap<string, Node>): string[] {
  const problems: string[] = [];
  const file = (path: string): Node | undefined => {
    const root = files.get(path);
    if (root === undefined) problems.push(`infra/${path}: missing`);
    return root;
  };
  for (const [path, key, expected] of EXPECTED) {
    const root = file(path);
    if (root === undefined) continue;
    const found = texts(valuesOfKey(root, key));
    if (found.length === 0 || found.some((v) => v !== expected))
      problems.push(`infra/${path}: ${key} should be ${JSON.stringify(expected)}, found ${JSON.stringify(found)}`);
  }
  for (const [path, key, expected] of PRESENT) {
    const root = file(path);
    if (root !== undefined && !texts(valuesOfKey(root, key)).includes(expected))
      problems.push(`infra/${path}: no ${key}: ${JSON.stringify(expected)}`);
  }

  const app = file('modules/functionapp.bicep');
  if (app !== undefined) {
    if (valuesOfKey(app, 'keyVaultReferenceIdentity').length === 0)
      problems.push('infra/modules/functionapp.bicep: keyVaultReferenceIdentity is not set');
    const memory = app.descendantsOfType('parameter_declaration').find((p) => p.text.includes('instanceMemoryMB'));
    if (memory?.descendantsOfType('number').at(-1)?.text !== '2048')
      problems.push('infra/modules/functionapp.bicep: instanceMemoryMB should default to 2048');
  }

  const rbac = file('modules/rbac.bicep');
  if (rbac !== undefined) {
    const ids = new Set(texts(descendants(rbac, 'string')));
    for (const [role, id] of Object.entries(REQUIRED_ROLES))
      if (!ids.has(id)) problems.push(`infra/modules/rbac.bicep: role ${role} (${id}) is not assigned`);
  }

  const main = file('main.bicep');
  if (main !== undefined) {
    // Entra-only ingestion needs the identity's client ID in the host's authentication string.
    const auth = valuesOfKey(main, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING')[0]?.text;
    if (auth === undefined || !/^'ClientId=\$\{[\w.]+\};Authorization=AAD'$/.test(auth))
      problems.push(`infra/main.bicep: APPLICATIONINSIGHTS_AUTHENTICATION_STRING is ${auth ?? 'not set'}`);
  }

  for (const [path, root] of files) {
    for (const object of root.descendantsOfType('object')) {
      for (const { key, line } of objectEntries(object))
        if (isFlexForbidden(key)) problems.push(`infra/${path}:${line}: ${key} is not supported on Flex Consumption`);
    }
  }
  return problems;
}
