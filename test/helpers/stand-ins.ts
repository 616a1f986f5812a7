/**
 * Running the project's shell scripts for real on this machine, with stand-ins for the commands they drive
 * on a lab VM (kubectl, cilium-dbg, ssh, sudo, cloud-init, ping, ...): executables in a private directory
 * put first on PATH. What a stand-in answers must follow the real command's source, cited next to it.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT } from '../../components/repo';

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock seconds the command took. */
  seconds: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /**
   * What follows the stand-ins on PATH: 'inherit' (default) this process's PATH, 'system' only
   * /usr/sbin:/usr/bin:/sbin:/bin (the script finds nothing installed elsewhere).
   */
  path?: 'inherit' | 'system';
  /** Directories before the rest of PATH (a StandIns' bin goes here). */
  bins?: string[];
  /** stdin for the command (default: none). */
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

function commandEnv(o: RunOptions): NodeJS.ProcessEnv {
  const rest = o.path === 'system' ? '/usr/sbin:/usr/bin:/sbin:/bin' : (process.env.PATH ?? '/usr/bin:/bin');
  return { PATH: [...(o.bins ?? []), rest].join(':'), HOME: os.tmpdir(), ...o.env };
}

/** Runs ARGV and waits (blocks the event loop: use runCommandAsync when this process must answer the command). */
export function runCommand(argv: string[], o: RunOptions = {}): CommandRun {
  const started = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    env: commandEnv(o),
    encoding: 'utf8',
    input: o.input,
    timeout: o.timeoutMs ?? 60000,
    cwd: o.cwd ?? REPO_ROOT,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (Date.now() - started) / 1000 };
}

/** runCommand without blocking the event loop (an HTTP server or a lock holder in this process keeps working). */
export function runCommandAsync(argv: string[], o: RunOptions = {}): Promise<CommandRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { env: commandEnv(o), cwd: o.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.end(o.input ?? '');
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** `bash SCRIPT` for a repository script (path relative to the repository root). */
export const bashScript = (script: string): string[] => ['bash', path.join(REPO_ROOT, script)];

/** A private directory with a bin/ of stand-ins; `run` puts bin/ first on PATH. */
export class StandIns {
  readonly dir: string;
  readonly bin: string;

  constructor(prefix = 'lab-standins-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.bin = path.join(this.dir, 'bin');
    fs.mkdirSync(this.bin);
  }

  /** Writes the executable stand-in NAME: a bash script whose body is BODY (lines joined). */
  add(name: string, body: string | string[]): this {
    const text = Array.isArray(body) ? body.join('\n') : body;
    fs.writeFileSync(path.join(this.bin, name), `#!/usr/bin/env bash\n${text}\n`, { mode: 0o755 });
    return this;
  }

  /** A path inside the private directory (for logs and files the stand-ins read). */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Runs a repository script (`scripts/...`) with bash, the stand-ins first on PATH. */
  run(script: string, env: Record<string, string> = {}, o: Omit<RunOptions, 'env'> = {}): CommandRun {
    return runCommand(bashScript(script), { ...o, env, bins: [this.bin, ...(o.bins ?? [])] });
  }

  runAsync(script: string, env: Record<string, string> = {}, o: Omit<RunOptions, 'env'> = {}): Promise<CommandRun> {
    return runCommandAsync(bashScript(script), { ...o, env, bins: [this.bin, ...(o.bins ?? [])] });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One run of SCRIPT with the stand-ins given (name -> bash body), in a directory removed afterwards. */
export function runWithStandIns(script: string, standIns: Record<string, string>, env: Record<string, string> = {}, o: Omit<RunOptions, 'env'> = {}): CommandRun {
  const s = new StandIns();
  try {
    for (const [name, body] of Object.entries(standIns)) s.add(name, body);
    return s.run(script, { SHIM_DIR: s.dir, ...env }, o);
  } finally {
    s.remove();
  }
}

/**
 * The body of a stand-in kubectl: logs "KUBECONFIG=<its value> <arguments>" to $KUBECTL_LOG (when set), then
 * answers the first `case "$args"` pattern that matches (args: all arguments as one string); anything
 * else fails loudly (exit 9), so a script that asks the cluster something new fails its test instead of
 * reading an empty answer.
 */
export function kubectlStandIn(cases: string[]): string[] {
  return [
    '[ -z "${KUBECTL_LOG:-}" ] || printf "KUBECONFIG=%s %s\\n" "${KUBECONFIG:-}" "$*" >>"$KUBECTL_LOG"',
    'args="$*"',
    'case "$args" in',
    ...cases.map((c) => `  ${c}`),
    '  *) echo "unexpected kubectl $*" >&2; exit 9 ;;',
    'esac',
  ];
}
