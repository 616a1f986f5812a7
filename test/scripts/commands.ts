/**
 * The external commands a shell script runs, read from the syntax tree that shfmt (mvdan/sh, the
 * parser behind shellcheck-grade editors) prints with --to-json, not from regular expressions: a
 * command inside a pipeline, `$(...)`, `<(...)`, an `if` condition or a function body counts the same.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

interface Node {
  Type?: string;
  [key: string]: unknown;
}

export interface CommandUse {
  name: string;
  file: string;
  line: number;
  /** The function whose body holds the call (it runs only if that function is called). */
  inFunction?: string;
}

export interface ParsedScript {
  /** Commands whose name is a literal word (a name built from a variable is not knowable here). */
  calls: CommandUse[];
  /** Functions the script defines (calls to them are not external commands). */
  functions: string[];
  /** `ensure_commands CMD:PACKAGE ...` and `ensure_python_module MODULE PACKAGE` calls, as written. */
  ensured: { command: string; pkg: string; line: number }[];
  /**
   * `if command -v A; then A ...; elif command -v B; then B ...` chains: the script needs only one of
   * them, so their uses are not in `calls`.
   */
  alternatives: { names: string[]; file: string; line: number }[];
}

/** NAME when the statement list is exactly `command -v NAME` (with redirections). */
function probedName(cond: unknown): string | undefined {
  if (!Array.isArray(cond) || cond.length !== 1) return undefined;
  const cmd = (cond[0] as { Cmd?: Node }).Cmd;
  if (cmd?.Type !== 'CallExpr' || !Array.isArray(cmd.Args) || cmd.Args.length !== 3) return undefined;
  const [c, v, name] = (cmd.Args as unknown[]).map(literal);
  return c === 'command' && v === '-v' ? name : undefined;
}

/** A word made only of literal text (no expansion), or undefined. */
function literal(word: unknown): string | undefined {
  const parts = (word as { Parts?: Node[] } | undefined)?.Parts;
  if (!parts || parts.length === 0) return undefined;
  let out = '';
  for (const p of parts) {
    if (p.Type === 'Lit' || p.Type === 'SglQuoted') out += String(p.Value);
    else if (p.Type === 'DblQuoted') {
      const inner = literal(p);
      if (inner === undefined) return undefined;
      out += inner;
    } else return undefined;
  }
  return out;
}

function lineOf(n: Node): number {
  return (n.Pos as { Line?: number } | undefined)?.Line ?? 0;
}

/**
 * Wrappers that run their argument as the command: the wrapped command is the one that must exist.
 * Each returns the index of the wrapped command's name in args, or -1 when it runs nothing.
 */
const WRAPPERS: Record<string, (args: (string | undefined)[]) => number> = {
  exec: (a) => skipOptions(a, 1, []),
  nohup: () => 1,
  setsid: (a) => skipOptions(a, 1, []),
  // `command -v X` only asks whether X exists; `command X` runs it.
  command: (a) => (a[1] === '-v' || a[1] === '-V' ? -1 : skipOptions(a, 1, [])),
  sudo: (a) => skipOptions(a, 1, ['-u', '-g', '-C', '-D']),
  env: (a) => {
    let i = skipOptions(a, 1, ['-u', '-C']);
    while (i < a.length && a[i] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[i] as string)) i++;
    return i;
  },
  // timeout [OPTIONS] DURATION COMMAND
  timeout: (a) => skipOptions(a, 1, ['-k', '-s', '--kill-after', '--signal']) + 1,
  nice: (a) => skipOptions(a, 1, ['-n']),
  flock: (a) => skipOptions(a, 1, ['-w', '-E', '--timeout']) + 1,
};

function skipOptions(a: (string | undefined)[], from: number, withValue: string[]): number {
  let i = from;
  while (i < a.length && a[i] !== undefined && (a[i] as string).startsWith('-')) {
    if (a[i] === '--') return i + 1;
    i += withValue.includes(a[i] as string) ? 2 : 1;
  }
  return i;
}

/** Parses shell text (bash dialect) and returns its commands, functions and ensure_* calls. */
export function parseShell(text: string, file: string): ParsedScript {
  let json: string;
  try {
    json = execFileSync('shfmt', ['--ln=bash', '--to-json'], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`${file}: shfmt could not parse it: ${(e as { stderr?: string }).stderr ?? e}`, { cause: e });
  }
  const out: ParsedScript = { calls: [], functions: [], ensured: [], alternatives: [] };
  const visit = (n: unknown, fn?: string): void => {
    if (Array.isArray(n)) {
      for (const x of n) visit(x, fn);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const node = n as Node;
    if (node.Type === 'FuncDecl') {
      fn = String((node.Name as Node).Value);
      out.functions.push(fn);
    }
    if (node.Type === 'IfClause') {
      const names: string[] = [];
      for (let c: Node | undefined = node; c && probedName(c.Cond) !== undefined; c = c.Else as Node | undefined) {
        names.push(probedName(c.Cond) as string);
      }
      if (names.length >= 2) out.alternatives.push({ names, file, line: lineOf(node) });
    }
    if (node.Type === 'CallExpr' && Array.isArray(node.Args) && node.Args.length > 0) {
      const args = (node.Args as unknown[]).map(literal);
      let i = 0;
      while (i >= 0 && i < args.length && args[i] !== undefined && WRAPPERS[args[i] as string]) {
        const next = WRAPPERS[args[i] as string](args.slice(i));
        i = next < 0 ? -1 : i + next;
      }
      const name = i >= 0 && i < args.length ? args[i] : undefined;
      if (name !== undefined) out.calls.push({ name, file, line: lineOf(node), ...(fn ? { inFunction: fn } : {}) });
      if (name === 'ensure_commands') {
        for (const a of args.slice(i + 1)) {
          if (a === undefined || !a.includes(':')) continue;
          out.ensured.push({ command: a.slice(0, a.indexOf(':')), pkg: a.slice(a.indexOf(':') + 1), line: lineOf(node) });
        }
      }
      if (name === 'ensure_python_module' && args[i + 2] !== undefined) {
        out.ensured.push({ command: `python3 -c 'import ${args[i + 1]}'`, pkg: args[i + 2] as string, line: lineOf(node) });
      }
    }
    for (const [k, v] of Object.entries(node)) {
      if (k !== 'Pos' && k !== 'End' && !k.endsWith('Pos')) visit(v, fn);
    }
  };
  visit(JSON.parse(json));
  const optional = new Set(out.alternatives.flatMap((a) => a.names));
  out.calls = out.calls.filter((c) => !optional.has(c.name));
  return out;
}

export function parseShellFile(file: string, label = file): ParsedScript {
  return parseShell(fs.readFileSync(file, 'utf8'), label);
}

/** Bash's own builtins and keywords, as this bash reports them. */
export function bashBuiltins(): Set<string> {
  const out = execFileSync('bash', ['-c', 'compgen -b; compgen -k'], { encoding: 'utf8' });
  return new Set(out.split('\n').filter(Boolean));
}

/**
 * Commands TypeScript code starts directly: the first argument of spawn/spawnSync/execFile/
 * execFileSync, the argv of the VM suite's run/mustRun helpers and of test/helpers/stand-ins.ts's
 * runCommand/runCommandAsync, and the commands inside execSync's shell text. Names built at run time
 * (variables, process.execPath) are not knowable here.
 */
export function tsCommands(text: string, file: string): CommandUse[] {
  const uses: CommandUse[] = [];
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  for (const m of text.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*'([^']+)'/g)) {
    uses.push({ name: m[1], file, line: lineAt(m.index ?? 0) });
  }
  for (const m of text.matchAll(/\b(?:run|mustRun|sh|runCommand|runCommandAsync)\((?:\s*(?:'[^']*'|`[^`]*`)\s*,)?\s*\[\s*'([^']+)'/g)) {
    uses.push({ name: m[1], file, line: lineAt(m.index ?? 0) });
  }
  // `ip netns exec NS CMD ...` as an argv: CMD runs too.
  for (const m of text.matchAll(/'netns',\s*'exec',\s*[^,\]]+,\s*'([^']+)'/g)) {
    uses.push({ name: m[1], file, line: lineAt(m.index ?? 0) });
  }
  // Shell-text helpers: execSync(TEXT), sh(TEXT), inNs(NS, TEXT), or inNs(NS, 'CMD', ...args).
  for (const m of text.matchAll(/\b(execSync|sh|inNs)\(/g)) {
    const args = literalArgs(text, (m.index ?? 0) + m[0].length);
    const rest = m[1] === 'inNs' ? args.slice(1) : args;
    const first = rest[0];
    if (first === undefined) continue;
    const line = lineAt(m.index ?? 0);
    if (/[\s;|&]/.test(first)) {
      for (const c of parseShell(first, file).calls) uses.push({ ...c, line: line + c.line - 1 });
    } else if (m[1] === 'inNs') {
      uses.push({ name: first, file, line });
    }
  }
  return uses;
}

/**
 * The top-level arguments of a call whose text starts at FROM (just after its `(`), each as its
 * literal text when it is a '...' or `...` literal (`${...}` read as the word x), else undefined.
 */
function literalArgs(text: string, from: number): (string | undefined)[] {
  const args: (string | undefined)[] = [];
  let depth = 0;
  let current: string | undefined;
  let other = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      let lit = '';
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\\') {
          lit += text[j + 1];
          j += 2;
          continue;
        }
        if (ch === '`' && text.startsWith('${', j)) {
          let d = 1;
          j += 2;
          while (j < text.length && d > 0) {
            if (text[j] === '{') d++;
            else if (text[j] === '}') d--;
            j++;
          }
          lit += 'x';
          continue;
        }
        lit += text[j++];
      }
      if (depth === 0 && current === undefined && !other) current = lit;
      else if (depth === 0) other = true;
      i = j;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      depth++;
      other = true;
    } else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) {
        args.push(other ? undefined : current);
        return args;
      }
      depth--;
    } else if (ch === ',' && depth === 0) {
      args.push(other ? undefined : current);
      current = undefined;
      other = false;
    } else if (depth === 0 && !/\s/.test(ch)) {
      other = true;
    }
  }
  return args;
}
