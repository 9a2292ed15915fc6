/**
 * Reading a compiled ARM template: its resources and nested deployments, and the template expressions
 * (`[createObject('A', parameters('a'))]`) that hold most values. Expressions are parsed, not matched as text, so a
 * check can ask for "the value of key A" and compare its source text.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource extends JsonObject {
  type: string;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resources of a template, whether an array or (languageVersion 2.0) an object keyed by symbolic name. */
export function resources(template: Json | undefined): Resource[] {
  const all = isObject(template) ? template.resources : undefined;
  const list = Array.isArray(all) ? all : isObject(all) ? Object.values(all) : [];
  return list.filter((r): r is Resource => isObject(r) && typeof r.type === 'string');
}

/** Resources of a type, e.g. Microsoft.Web/sites. */
export const ofType = (template: Json | undefined, type: string): Resource[] =>
  resources(template).filter((r) => r.type === type);

/** The nested deployment (a Bicep module) of this name: its parameters as passed and its inner template. */
export function module(template: Json | undefined, name: string): { parameters: JsonObject; template: JsonObject } {
  const deployment = ofType(template, 'Microsoft.Resources/deployments').find((d) => d.name === name);
  const properties = isObject(deployment?.properties) ? deployment.properties : {};
  return {
    parameters: isObject(properties.parameters) ? properties.parameters : {},
    template: isObject(properties.template) ? properties.template : {},
  };
}

/** Follows a path of keys; undefined when any step is missing. */
export function at(value: Json | undefined, ...path: string[]): Json | undefined {
  let current = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

/** The value a module receives for a parameter (`{ value: ... }`). */
export const passed = (mod: { parameters: JsonObject }, name: string): Json | undefined =>
  at(mod.parameters, name, 'value');

export type Expr =
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'call'; name: string; args: Expr[]; text: string }
  | { kind: 'property'; target: Expr; name: string; text: string }
  | { kind: 'index'; target: Expr; index: Expr; text: string };

/** Parses a template expression, with or without its brackets. Throws on text it does not understand. */
export function parseExpression(source: string): Expr {
  const src = source.startsWith('[') && source.endsWith(']') ? source.slice(1, -1) : source;
  let pos = 0;
  const space = (): void => {
    while (src[pos] === ' ') pos++;
  };
  const fail = (what: string): never => {
    throw new Error(`expression: ${what} at ${pos}: ${src.slice(pos, pos + 40)}`);
  };
  const ident = (): string => {
    const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(pos));
    if (m === null) return fail('identifier expected');
    pos += m[0].length;
    return m[0];
  };
  const primary = (): Expr => {
    space();
    const start = pos;
    if (src[pos] === "'") {
      let value = '';
      for (pos++; ; pos++) {
        if (pos >= src.length) fail('unterminated string');
        if (src[pos] === "'" && src[pos + 1] === "'") value += src[pos++];
        else if (src[pos] === "'") break;
        else value += src[pos];
      }
      pos++;
      return { kind: 'string', value, text: src.slice(start, pos) };
    }
    const num = /^-?\d+/.exec(src.slice(pos));
    if (num !== null) {
      pos += num[0].length;
      return { kind: 'number', value: Number(num[0]), text: num[0] };
    }
    let name = ident();
    // Namespaced functions, such as Bicep's own __bicep.keyVaultReference(...).
    while (/^\.[A-Za-z_$][\w$]*\(/.test(src.slice(pos))) {
      pos++;
      name += `.${ident()}`;
    }
    if (src[pos] !== '(') return fail('( expected');
    pos++;
    const args: Expr[] = [];
    space();
    while (src[pos] !== ')') {
      args.push(postfix());
      space();
      if (src[pos] === ',') pos++;
      else if (src[pos] !== ')') fail(', or ) expected');
    }
    pos++;
    return { kind: 'call', name, args, text: src.slice(start, pos) };
  };
  const postfix = (): Expr => {
    space();
    const start = pos;
    let expr = primary();
    for (;;) {
      if (src[pos] === '.') {
        pos++;
        const name = ident();
        expr = { kind: 'property', target: expr, name, text: src.slice(start, pos) };
      } else if (src[pos] === '[') {
        pos++;
        const index = postfix();
        if (src[pos] !== ']') fail('] expected');
        pos++;
        expr = { kind: 'index', target: expr, index, text: src.slice(start, pos) };
      } else return expr;
    }
  };
  const expr = postfix();
  space();
  if (pos !== src.length) fail('end expected');
  return expr;
}

/** Every call to a function of this name inside an expression, outermost first. */
export function calls(expr: Expr, name: string): Extract<Expr, { kind: 'call' }>[] {
  const inner: Expr[] =
    expr.kind === 'call'
      ? expr.args
      : expr.kind === 'property'
        ? [expr.target]
        : expr.kind === 'index'
          ? [expr.target, expr.index]
          : [];
  const own = expr.kind === 'call' && expr.name === name ? [expr] : [];
  return [...own, ...inner.flatMap((e) => calls(e, name))];
}

/** The key/value pairs of createObject(...) calls in an expression: key to the source text of its value. */
export function createdObject(expression: Json | undefined): Map<string, Expr> {
  const entries = new Map<string, Expr>();
  if (typeof expression !== 'string') return entries;
  for (const call of calls(parseExpression(expression), 'createObject')) {
    for (let i = 0; i + 1 < call.args.length; i += 2) {
      const key = call.args[i];
      const value = call.args[i + 1];
      if (key?.kind === 'string' && value !== undefined) entries.set(key.value, value);
    }
  }
  return entries;
}

/** The value of `variables('name')` in a template, with the expressions of other variables it names resolved. */
export function variable(template: Json | undefined, name: string): Json | undefined {
  return at(template, 'variables', name);
}

/**
 * Resolves a string expression built only from literals and the template's variables, such as
 * `variables('roles').keyVaultSecretsUser` or `variables('storageRoles')[copyIndex()]` (given the copy index);
 * undefined for anything else.
 */
export function resolve(template: Json | undefined, expr: Expr, copyIndex?: number): Json | undefined {
  if (expr.kind === 'string' || expr.kind === 'number') return expr.value;
  if (expr.kind === 'call' && expr.name === 'copyIndex' && expr.args.length === 0) return copyIndex;
  if (expr.kind === 'call' && expr.name === 'variables' && expr.args[0]?.kind === 'string') {
    const value = variable(template, expr.args[0].value);
    return typeof value === 'string' && value.startsWith('[') ? resolve(template, parseExpression(value)) : value;
  }
  const inner = (v: Json | undefined): Json | undefined =>
    typeof v === 'string' && v.startsWith('[') ? resolve(template, parseExpression(v)) : v;
  if (expr.kind === 'property') return inner(at(resolve(template, expr.target, copyIndex), expr.name));
  if (expr.kind === 'index') {
    const list = resolve(template, expr.target, copyIndex);
    const index = resolve(template, expr.index, copyIndex);
    return Array.isArray(list) && typeof index === 'number' ? inner(list[index]) : undefined;
  }
  return undefined;
}
