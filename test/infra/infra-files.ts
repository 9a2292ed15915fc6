/** Shared fixtures of the infra tests: repository files, the parsed Bicep templates and a checked mutation helper. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Node, Parser } from 'web-tree-sitter';
import { bicepParser, parseBicep } from './bicep-tree.ts';

const root = new URL('../../', import.meta.url);

/** A repository file as text, by path from the repository root. */
export const readRepo = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** Every file under infra/, relative to infra/ with forward slashes. */
export const infraFiles = (readdirSync(new URL('infra/', root), { recursive: true }) as string[])
  .map((p) => p.split('\\').join('/'))
  .sort();

/** Replaces text that must be there, so a mutation cannot silently do nothing. */
export function mutate(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  assert.notEqual(changed, text, `mutation did not apply: ${String(from)}`);
  return changed;
}

export interface InfraTemplates {
  parser: Parser;
  /** Text and syntax tree of each .bicep file, keyed by its path under infra/. */
  texts: ReadonlyMap<string, string>;
  trees: ReadonlyMap<string, Node>;
}

/** Reads and parses every .bicep file under infra/. */
export async function loadTemplates(): Promise<InfraTemplates> {
  const parser = await bicepParser();
  const texts = new Map<string, string>();
  const trees = new Map<string, Node>();
  for (const path of infraFiles.filter((p) => p.endsWith('.bicep'))) {
    const text = readRepo(`infra/${path}`);
    texts.set(path, text);
    trees.set(path, parseBicep(parser, text));
  }
  return { parser, texts, trees };
}
