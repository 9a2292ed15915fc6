/**
 * Offline Bicep reading for the infra tests: tree-sitter-bicep (WebAssembly) parses the files, and small helpers read
 * declarations, object keys and literals from the syntax tree. Syntax and structure only: type checking and module
 * restore need the Bicep CLI.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

let parserPromise: Promise<Parser> | undefined;

/** One parser for the whole test process; loading the grammar costs a few hundred milliseconds. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    // The grammar package has no exports map, so its .wasm resolves as a plain path inside the package.
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
    const parser = new Parser();
    parser.setLanguage(await Language.load(wasm));
    return parser;
  })();
  return parserPromise;
}

/** Parses Bicep text; throws only if the parser itself fails (syntax errors become ERROR/MISSING nodes). */
export function parseBicep(parser: Parser, text: string): Node {
  const tree = parser.parse(text);
  if (tree === null) throw new Error('tree-sitter returned no tree');
  return tree.rootNode;
}

export interface SyntaxProblem {
  line: number;
  column: number;
  kind: 'ERROR' | 'MISSING';
  /** The node type tree-sitter expected (MISSING) or the start of the text it could not place (ERROR). */
  detail: string;
}

/** Every ERROR and MISSING node, with 1-based positions. */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (node.isError || node.isMissing) {
      problems.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: node.isMissing ? 'MISSING' : 'ERROR',
        detail: node.isMissing ? node.type : node.text.slice(0, 40),
      });
    }
    // Descend only where something is wrong: hasError marks the subtrees that hold ERROR or MISSING nodes.
    for (const child of node.children) if (child.hasError || child.isMissing) visit(child);
  };
  visit(root);
  return problems;
}

/** 1-based line of a node, for messages. */
export const lineOf = (node: Node): number => node.startPosition.row + 1;

/** Content of a string literal without interpolation; undefined for anything else. */
export function stringLiteral(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c.type !== 'string_content')) return undefined;
  return node.namedChildren.map((c) => c.text).join('');
}

/** A literal value as Bicep source would write it in an app setting: strings, numbers and booleans. */
export function literalText(node: Node | null | undefined): string | undefined {
  if (node == null) return undefined;
  if (node.type === 'string') return stringLiteral(node);
  if (node.type === 'number' || node.type === 'boolean') return node.text;
  return undefined;
}

/** The node after `=` in a param/var/output/resource/module declaration. */
export function declarationValue(declaration: Node): Node | undefined {
  const children = declaration.children;
  const equals = children.findIndex((c) => c.type === '=');
  return equals < 0 ? undefined : children[equals + 1];
}

/** The declared name of a top-level declaration. */
export function declarationName(declaration: Node): string | undefined {
  return declaration.namedChildren.find((c) => c.type === 'identifier')?.text;
}

/** The top-level declaration of a kind (`variable_declaration`, `module_declaration`, ...) with a name. */
export function findDeclaration(root: Node, type: string, name: string): Node | undefined {
  return root.namedChildren.find((n) => n.type === type && declarationName(n) === name);
}

export interface ParamInfo {
  name: string;
  line: number;
  /** The default value's node; undefined when the parameter is required. */
  defaultValue: Node | undefined;
  decorators: Node[];
}

/** Every `param` of a file with its default and decorators (the `decorators` node just before it). */
export function parameters(root: Node): Map<string, ParamInfo> {
  const result = new Map<string, ParamInfo>();
  for (const node of root.namedChildren) {
    if (node.type !== 'parameter_declaration') continue;
    const name = declarationName(node);
    if (name === undefined) continue;
    const previous = node.previousNamedSibling;
    result.set(name, {
      name,
      line: lineOf(node),
      defaultValue: declarationValue(node),
      decorators: previous?.type === 'decorators' ? previous.namedChildren : [],
    });
  }
  return result;
}

/** Arguments of a decorator such as `@allowed([...])`, or undefined when the parameter lacks it. */
export function decoratorArguments(param: ParamInfo, decorator: string): Node[] | undefined {
  for (const d of param.decorators) {
    const call = d.namedChildren.find((c) => c.type === 'call_expression');
    if (call?.namedChildren[0]?.text !== decorator) continue;
    return call.namedChildren.find((c) => c.type === 'arguments')?.namedChildren ?? [];
  }
  return undefined;
}

export interface ObjectEntry {
  key: string;
  value: Node;
  line: number;
}

/** The properties of an object literal, in order; keys written as identifiers or plain strings. */
export function objectEntries(object: Node): ObjectEntry[] {
  const entries: ObjectEntry[] = [];
  for (const property of object.namedChildren) {
    if (property.type !== 'object_property') continue;
    const [keyNode, value] = property.namedChildren;
    if (keyNode === undefined || value === undefined) continue;
    const key = keyNode.type === 'identifier' ? keyNode.text : stringLiteral(keyNode);
    if (key !== undefined) entries.push({ key, value, line: lineOf(property) });
  }
  return entries;
}

/** The value of `key` in an object literal. */
export function property(object: Node | undefined, key: string): Node | undefined {
  return object === undefined ? undefined : objectEntries(object).find((e) => e.key === key)?.value;
}

/** All nodes of a type in a subtree, the node itself included (as tree-sitter's descendantsOfType does). */
export function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type);
}

/** Whether a subtree calls the function `name` (user-defined or built-in). */
export function callsFunction(node: Node, name: string): boolean {
  return descendants(node, 'call_expression').some((call) => call.namedChildren[0]?.text === name);
}

/** Identifiers referenced anywhere in a subtree. */
export function identifiersIn(node: Node): Set<string> {
  return new Set(descendants(node, 'identifier').map((n) => n.text));
}

/** Every `key: value` in a file where key is `key`, at any depth: for asserting platform properties. */
export function valuesOfKey(root: Node, key: string): Node[] {
  return root
    .descendantsOfType('object_property')
    .filter((p) => {
      const k = p.namedChildren[0];
      return k !== undefined && (k.type === 'identifier' ? k.text : stringLiteral(k)) === key;
    })
    .flatMap((p) => (p.namedChildren[1] === undefined ? [] : [p.namedChildren[1]]));
}
