/**
 * The Node options the deployment gives the Functions worker (the NODE_OPTIONS app setting in infra/main.bicep), so
 * the bench measures the product as it runs in Azure. Read from the Bicep itself: one place to change them.
 */
import { readFileSync } from 'node:fs';

const MAIN_BICEP = new URL('../../infra/main.bicep', import.meta.url);

/** The NODE_OPTIONS value of a Bicep template's app settings; throws when there is none. */
export function nodeOptionsOf(bicep: string): string {
  const match = /^\s*NODE_OPTIONS:\s*'([^']*)'\s*$/m.exec(bicep);
  if (match?.[1] === undefined) throw new Error('infra/main.bicep sets no NODE_OPTIONS app setting');
  return match[1];
}

/** The deployment's worker Node options, as arguments for a child process. */
export function workerNodeArgs(): string[] {
  return nodeOptionsOf(readFileSync(MAIN_BICEP, 'utf8')).split(/\s+/).filter(Boolean);
}
