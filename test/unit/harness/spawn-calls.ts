import ts from "typescript";

/**
 * The programs TypeScript/JavaScript sources run through node:child_process (spawn, spawnSync,
 * execFile, execFileSync, exec, execSync, fork), read from the syntax tree:
 * - the first argument as a string literal, `process.execPath` (node), or a const of the file
 *   whose initialiser holds the literal (`process.env.VARNISHD ?? "/usr/sbin/varnishd"`);
 * - through aliases (`const run = promisify(execFile)`) and wrappers, in the file or imported
 *   from another scanned file: a function that passes one of its parameters as the program
 *   (`function client(file, args) { return run(file, args) }`) makes `client("sftp", ...)` a spawn;
 * - importing simple-git runs git.
 * A program it cannot read is "unresolved" unless a `host-program: NAME` comment on the call's
 * line or the line above names it. Pure: sources in, findings out.
 */

export type SourceFile = { path: string; text: string };
export type Found = { file: string; line: number; program: string };
export type SpawnScan = { spawns: Found[]; unresolved: Found[] };

const CHILD_PROCESS = new Set(["child_process", "node:child_process"]);
const SPAWNERS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync", "fork"]);
// These take a shell command line: its first word is the program.
const SHELL_LINE = new Set(["exec", "execSync"]);
const GIT_LIBRARIES = new Set(["simple-git"]);

/** How a callable runs a program: which argument names it, and whether it is a shell line. */
type Runner = { arg: number; shell: boolean; fork: boolean };
type FileFacts = { runners: Map<string, Runner>; namespaces: Set<string>; exported: Map<string, Runner> };

export function scanSpawns(files: SourceFile[]): SpawnScan {
  const parsed = files.map((f) => ({ ...f, sf: ts.createSourceFile(f.path, f.text, ts.ScriptTarget.Latest, true, kindOf(f.path)) }));
  const facts = new Map(parsed.map((p) => [p.path, baseFacts(p.sf)]));
  // Wrappers may wrap wrappers, across files: repeat until nothing new is learnt.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of parsed) {
      const f = facts.get(p.path);
      if (f === undefined) continue;
      if (importWrappers(p.sf, p.path, f, facts)) changed = true;
      if (findWrappers(p.sf, f)) changed = true;
    }
  }
  const out: SpawnScan = { spawns: [], unresolved: [] };
  const sources = new Map(parsed.map((p) => [p.path, p.sf]));
  for (const p of parsed) {
    const f = facts.get(p.path);
    if (f !== undefined) collect({ sf: p.sf, path: p.path, sources }, p.text, f, out);
  }
  return out;
}

function kindOf(path: string): ts.ScriptKind {
  return /\.(m|c)?js$/.test(path) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

function moduleName(node: ts.ImportDeclaration): string {
  return ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : "";
}

function baseFacts(sf: ts.SourceFile): FileFacts {
  const facts: FileFacts = { runners: new Map(), namespaces: new Set(), exported: new Map() };
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !CHILD_PROCESS.has(moduleName(st))) continue;
    const clause = st.importClause;
    if (clause?.name) facts.namespaces.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) facts.namespaces.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const el of bindings.elements) {
        const imported = (el.propertyName ?? el.name).text;
        if (SPAWNERS.has(imported)) facts.runners.set(el.name.text, runnerFor(imported));
      }
    }
  }
  return facts;
}

function runnerFor(spawner: string): Runner {
  return { arg: 0, shell: SHELL_LINE.has(spawner), fork: spawner === "fork" };
}

/** The runner a call's callee is: an imported spawner, `cp.spawn`, `promisify(execFile)`, a wrapper. */
function calleeRunner(expr: ts.Expression, facts: FileFacts): Runner | undefined {
  if (ts.isIdentifier(expr)) return facts.runners.get(expr.text);
  if (ts.isPropertyAccessExpression(expr) && ts.isIdentifier(expr.expression) && facts.namespaces.has(expr.expression.text)) {
    return SPAWNERS.has(expr.name.text) ? runnerFor(expr.name.text) : undefined;
  }
  return undefined;
}

/** `promisify(execFile)`, `util.promisify(cp.execFile)`: the same runner. */
function aliasOf(init: ts.Expression, facts: FileFacts): Runner | undefined {
  const direct = calleeRunner(init, facts);
  if (direct !== undefined) return direct;
  if (!ts.isCallExpression(init) || init.arguments.length !== 1) return undefined;
  const callee = init.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : "";
  const only = init.arguments[0];
  return name === "promisify" && only !== undefined ? calleeRunner(only, facts) : undefined;
}

function isExported(node: ts.Node): boolean {
  const st = ts.isVariableDeclaration(node) ? node.parent.parent : node;
  return ts.canHaveModifiers(st) && (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function learn(facts: FileFacts, name: string, runner: Runner, node: ts.Node): boolean {
  if (facts.runners.has(name)) return false;
  facts.runners.set(name, runner);
  if (isExported(node)) facts.exported.set(name, runner);
  return true;
}

/** Aliases and wrappers defined in this file. True when something new was learnt. */
function findWrappers(sf: ts.SourceFile, facts: FileFacts): boolean {
  let changed = false;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) {
      const alias = aliasOf(node.initializer, facts);
      if (alias !== undefined && learn(facts, node.name.text, alias, node)) changed = true;
    }
    if (ts.isCallExpression(node)) {
      const runner = calleeRunner(node.expression, facts);
      const arg = runner === undefined ? undefined : node.arguments[runner.arg];
      if (runner !== undefined && arg !== undefined && ts.isIdentifier(arg)) {
        const owner = parameterOwner(arg);
        if (owner !== undefined && owner.name !== undefined && learn(facts, owner.name, { ...runner, arg: owner.index }, owner.node)) changed = true;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return changed;
}

/** The nearest enclosing function with a parameter of this name, its name and the parameter's index. */
function parameterOwner(id: ts.Identifier): { name: string | undefined; index: number; node: ts.Node } | undefined {
  for (let n: ts.Node | undefined = id.parent; n !== undefined; n = n.parent) {
    if (!ts.isFunctionLike(n)) continue;
    const index = n.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === id.text);
    if (index === -1) continue;
    if (ts.isFunctionDeclaration(n) && n.name) return { name: n.name.text, index, node: n };
    const holder = n.parent;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) {
      return { name: holder.name.text, index, node: holder };
    }
    return { name: undefined, index, node: n };
  }
  return undefined;
}

/** Wrappers imported from other scanned files (`import { run } from "./swarm"`). */
function importWrappers(sf: ts.SourceFile, path: string, facts: FileFacts, all: Map<string, FileFacts>): boolean {
  let changed = false;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    const spec = moduleName(st);
    if (!spec.startsWith(".")) continue;
    const from = resolveModule(path, spec, all);
    const bindings = st.importClause?.namedBindings;
    if (from === undefined || bindings === undefined || !ts.isNamedImports(bindings)) continue;
    for (const el of bindings.elements) {
      const runner = from.exported.get((el.propertyName ?? el.name).text);
      if (runner !== undefined && !facts.runners.has(el.name.text)) {
        facts.runners.set(el.name.text, runner);
        changed = true;
      }
    }
  }
  return changed;
}

function resolveModule<T>(importer: string, spec: string, all: Map<string, T>): T | undefined {
  const parts = importer.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  const base = parts.join("/").replace(/\.(js|ts)$/, "");
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, `${base}.js`, `${base}.mjs`]) {
    const found = all.get(candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A file, and every scanned file by path (for consts imported from them). */
type Ctx = { sf: ts.SourceFile; path: string; sources: Map<string, ts.SourceFile> };

/** Every spawn of the file, with its program or as unresolved. */
function collect(ctx: Ctx, text: string, facts: FileFacts, out: SpawnScan): void {
  const { sf, path } = ctx;
  const lines = text.split("\n");
  const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const annotated = (line: number): string[] => {
    const near = `${lines[line - 2] ?? ""}\n${lines[line - 1] ?? ""}`;
    return [...near.matchAll(/host-program:\s*([\w.+/-]+)/g)].map((m) => m[1] ?? "").filter((p) => p !== "");
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && GIT_LIBRARIES.has(moduleName(node))) out.spawns.push({ file: path, line: lineOf(node), program: "git" });
    if (ts.isCallExpression(node)) {
      const runner = calleeRunner(node.expression, facts);
      const arg = runner === undefined ? undefined : node.arguments[runner.arg];
      if (runner !== undefined) {
        const line = lineOf(node);
        const programs = runner.fork ? ["node"] : arg === undefined ? [] : programsOf(arg, ctx, runner.shell);
        const named = annotated(line);
        // A wrapper's own call passes its parameter on: its callers are the spawns.
        const passedOn = arg !== undefined && ts.isIdentifier(arg) && parameterOwner(arg)?.name !== undefined;
        if (programs.length > 0) for (const program of programs) out.spawns.push({ file: path, line, program });
        else if (named.length > 0) for (const program of named) out.spawns.push({ file: path, line, program });
        else if (!passedOn) out.unresolved.push({ file: path, line, program: arg?.getText(sf) ?? "(no argument)" });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** The program names an argument expression can hold; empty when it cannot be read. */
function programsOf(expr: ts.Expression, ctx: Ctx, shell: boolean): string[] {
  const first = (s: string): string => (shell ? (s.trim().split(/\s+/)[0] ?? "") : s);
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [first(expr.text)].filter((p) => p !== "");
  if (ts.isParenthesizedExpression(expr)) return programsOf(expr.expression, ctx, shell);
  if (ts.isPropertyAccessExpression(expr) && expr.getText(ctx.sf) === "process.execPath") return ["node"];
  if (ts.isConditionalExpression(expr)) return [...programsOf(expr.whenTrue, ctx, shell), ...programsOf(expr.whenFalse, ctx, shell)];
  // `process.env.X ?? "default"`: the literal is what runs unless the operator overrides it.
  if (ts.isBinaryExpression(expr) && (expr.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || expr.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    return ts.isStringLiteral(expr.right) ? programsOf(expr.right, ctx, shell) : [];
  }
  // path.join("node_modules", ".bin", "tsc"): the project's own npm binaries, not a host program.
  if (ts.isCallExpression(expr) && expr.arguments.some((a) => ts.isStringLiteral(a) && a.text === "node_modules")) return ["node_modules/.bin"];
  if (ts.isIdentifier(expr)) {
    const found = constInitializer(expr.text, ctx);
    return found === undefined ? [] : programsOf(found.init, found.ctx, shell);
  }
  return [];
}

/** The initialiser of a top-level `const NAME = ...` of the file, or of the scanned file it is imported from. */
function constInitializer(name: string, ctx: Ctx): { init: ts.Expression; ctx: Ctx } | undefined {
  for (const st of ctx.sf.statements) {
    if (ts.isVariableStatement(st) && (st.declarationList.flags & ts.NodeFlags.Const) !== 0) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer !== undefined) return { init: d.initializer, ctx };
      }
    }
    if (!ts.isImportDeclaration(st) || !moduleName(st).startsWith(".")) continue;
    const bindings = st.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    const el = bindings.elements.find((e) => e.name.text === name);
    if (el === undefined) continue;
    const from = resolveModule(ctx.path, moduleName(st), ctx.sources);
    if (from !== undefined) return constInitializer((el.propertyName ?? el.name).text, { ...ctx, sf: from, path: from.fileName });
  }
  return undefined;
}
