/**
 * Running commands for the VM suite: host commands exactly as @pulumi/command's local.Command runs them
 * (`/bin/sh -c CREATE` with the resource's environment on top of the process environment, cwd = repo
 * root), and remote command text exactly as remote.Command sends it (one SSH exec of the text on the
 * router, as the lab user with the lab key).
 */
import { spawn } from 'child_process';

import { REPO_ROOT } from '../../../components/repo';

export { REPO_ROOT };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export class CommandError extends Error {
  constructor(
    public readonly what: string,
    public readonly result: RunResult,
  ) {
    const tail = (s: string) => s.trim().split('\n').slice(-15).join('\n');
    super(
      `${what} failed (exit ${result.code ?? result.signal}) after ${(result.ms / 1000).toFixed(1)}s\n` +
        `--- stderr (last lines) ---\n${tail(result.stderr)}\n--- stdout (last lines) ---\n${tail(result.stdout)}`,
    );
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
  /** Echo stderr lines to our stderr as they arrive (long steps). */
  streamStderr?: boolean;
}

/** Runs argv; resolves with the result whatever the exit code (see mustRun). */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.streamStderr) process.stderr.write(d);
    });
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        stderr += `\n[vm-suite] killed after ${opts.timeoutMs} ms\n`;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the command may exit without reading its input
      child.stdin.end(opts.input);
    }
  });
}

export async function mustRun(what: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new CommandError(what, r);
  return r;
}

/** A host command from components/libvirt/commands.ts, run as local.Command would run it. */
export interface HostCommandLike {
  create: string;
  delete?: string;
  environment: Record<string, string>;
}

export function runHostCommand(what: string, cmd: HostCommandLike, verb: 'create' | 'delete', timeoutMs = 600_000): Promise<RunResult> {
  const text = verb === 'create' ? cmd.create : cmd.delete;
  if (text === undefined) throw new Error(`${what} has no ${verb} command`);
  return mustRun(`${what} (${verb}: ${text})`, ['/bin/sh', '-c', text], {
    env: cmd.environment,
    cwd: REPO_ROOT,
    timeoutMs,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SSH to the router as remote.Command does: user, host, private key; one exec of `text`. */
export interface RouterSsh {
  host: string;
  port: number;
  user: string;
  keyFile: string;
}

export const SSH_OPTIONS = [
  '-o', 'BatchMode=yes',
  '-o', 'StrictHostKeyChecking=no',
  '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'LogLevel=ERROR',
  '-o', 'ConnectTimeout=10',
  '-o', 'IdentitiesOnly=yes',
];

/** A plain command text, or a script command from components/remote.ts (its stdin carries env + script). */
export type RemoteText = string | { command: string; stdin: string };

export function sshArgv(r: RouterSsh, text: RemoteText): string[] {
  return ['ssh', ...SSH_OPTIONS, '-i', r.keyFile, '-p', String(r.port), `${r.user}@${r.host}`, typeof text === 'string' ? text : text.command];
}

/** Runs a remote text as remote.Command does: one SSH exec of the command, stdin attached. */
export function runOnRouter(r: RouterSsh, text: RemoteText, opts: RunOptions = {}): Promise<RunResult> {
  return run(sshArgv(r, text), { ...opts, ...(typeof text === 'string' ? {} : { input: text.stdin }) });
}

export async function onRouter(what: string, r: RouterSsh, text: RemoteText, timeoutMs = 300_000): Promise<RunResult> {
  const res = await runOnRouter(r, text, { timeoutMs });
  if (res.code !== 0) throw new CommandError(what, res);
  return res;
}

/** Polls `probe` until it resolves true or the deadline passes; returns the elapsed ms. */
export async function waitFor(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<boolean | string>): Promise<number> {
  const start = Date.now();
  let last: boolean | string = false;
  while (Date.now() - start < timeoutMs) {
    last = await probe();
    if (last === true) return Date.now() - start;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; last: ${String(last)}`);
}
