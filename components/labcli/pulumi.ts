/**
 * The lab command's connection to Pulumi, through the Automation API (@pulumi/pulumi/automation).
 * The program runs inline (components/program.ts labProgram, in this process), so no Node.js language
 * host is needed: only the CLI and the resource plugins. The workspace is the repository (workDir = repo
 * root), so the CLI reads Pulumi.yaml and Pulumi.<stack>.yaml as it does for `pulumi up` there. State is
 * in a local file backend inside the project unless the user chose one; secrets use a passphrase from
 * the environment (lab default with a warning). The CLI is LAB_PULUMI_CLI, else the one on PATH, else
 * .lab/pulumi, else installed there.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import * as YAML from 'yaml';
import { REPO_ROOT } from '../repo';
import { ambientPlugin, checkPlugins, missingPluginLines, parsePluginList, pulumiTruthy, requiredPlugins, type PluginStatus } from './plugins';

export { REPO_ROOT };
/** Names the pulumi binary to use: `<root>/bin/pulumi`, the layout the Automation API runs. */
export const LAB_PULUMI_CLI = 'LAB_PULUMI_CLI';
/** Pulumi's own switch for plugin downloads (sdk/go/common/env/env.go DisableAutomaticPluginAcquisition). */
export const NO_PLUGIN_DOWNLOAD_VAR = 'PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION';
/** The documented default passphrase of lab stacks' secrets (labs only: set your own for anything else). */
export const LAB_PASSPHRASE = 'cilium-ipsec-lab';

export interface LabIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** What the lab command needs from a stack (the Automation API's Stack satisfies it). */
export interface LabStack {
  up(opts: { onOutput: (out: string) => void; replace?: string[]; signal?: AbortSignal }): Promise<unknown>;
  destroy(opts: { onOutput: (out: string) => void }): Promise<unknown>;
  outputs(): Promise<Record<string, { value: unknown; secret: boolean }>>;
}

export interface LabEnvironment {
  /** Variables for the Pulumi CLI (merged over the process environment by the Automation API). */
  vars: Record<string, string>;
  /** Whether Pulumi may download a missing plugin. */
  pluginDownload: boolean;
  /** Where the state is (for messages). */
  backend: string;
  /** Local directory to create for a file backend inside the project, if any. */
  stateDir?: string;
  warnings: string[];
}

/** Pure: backend, passphrase and plugin downloads from the environment, with the lab's defaults. */
export function labEnvironment(env: Record<string, string | undefined>, root: string, opts: { noPluginDownload?: boolean } = {}): LabEnvironment {
  const vars: Record<string, string> = { PULUMI_SKIP_UPDATE_CHECK: 'true' };
  if (opts.noPluginDownload) vars[NO_PLUGIN_DOWNLOAD_VAR] = 'true';
  const pluginDownload = !opts.noPluginDownload && !pulumiTruthy(env[NO_PLUGIN_DOWNLOAD_VAR]);
  const warnings: string[] = [];
  let backend = env.PULUMI_BACKEND_URL;
  let stateDir: string | undefined;
  if (!backend) {
    stateDir = path.join(root, '.lab', 'state');
    backend = `file://${stateDir}`;
  }
  vars.PULUMI_BACKEND_URL = backend;
  // The environment given may not be the process's (the engine suite's stacks): pass its choice on.
  for (const k of ['PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_FILE'] as const) {
    const v = env[k];
    if (v !== undefined) vars[k] = v;
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    vars.PULUMI_CONFIG_PASSPHRASE = LAB_PASSPHRASE;
    warnings.push(
      `PULUMI_CONFIG_PASSPHRASE is not set: using the lab default passphrase "${LAB_PASSPHRASE}" for this stack's secrets (fine for a throwaway lab; set your own otherwise)`,
    );
  }
  return { vars, backend, stateDir, warnings, pluginDownload };
}

/** The Automation API's PulumiCommand statics (injectable for tests). */
export interface PulumiCommandStatics<C> {
  get(opts?: { root?: string }): Promise<C>;
  install(opts?: { root?: string }): Promise<C>;
}

/**
 * Whether PulumiCommand.get failed because there is no such executable. The Automation API runs
 * `pulumi version` through execa and wraps its error in a CommandError whose text carries execa's
 * "spawn <command> ENOENT" (and whose commandResult.err has code ENOENT). Anything else (a CLI older
 * than the SDK's minimum, a broken binary) is a CLI that exists and must not be hidden by installing a
 * second one.
 */
export function isCliMissing(e: unknown): boolean {
  const code = (e as { commandResult?: { err?: { code?: unknown } } } | undefined)?.commandResult?.err?.code;
  return code === 'ENOENT' || (e instanceof Error && /\bENOENT\b/.test(e.message));
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // CommandError's text is "code: ...\n stdout: ...\n stderr: <message>": the message is what matters.
  const stderr = /stderr: (.+)/.exec(m)?.[1];
  return (stderr ?? m.split('\n')[0]).trim();
}

/** The path LAB_PULUMI_CLI names -> the installation root the Automation API takes (`<root>/bin/pulumi`). */
export function cliRootOf(named: string): string {
  if (!path.isAbsolute(named) || path.basename(named) !== 'pulumi' || path.basename(path.dirname(named)) !== 'bin') {
    throw new Error(`${LAB_PULUMI_CLI}=${named}: expected the absolute path of a pulumi binary in a bin/ directory (<root>/bin/pulumi, the layout the Automation API runs)`);
  }
  return path.dirname(path.dirname(named));
}

/**
 * Finds the Pulumi CLI: the binary LAB_PULUMI_CLI names (it must work: no fallback behind a user's
 * explicit choice), else PATH, else .lab/pulumi, else installs it into .lab/pulumi with a message. A CLI
 * that is there but unusable (too old for this SDK, broken) is an error naming it.
 */
export async function ensurePulumiCli<C = import('@pulumi/pulumi/automation').PulumiCommand>(
  io: LabIO,
  root: string,
  PulumiCommand?: PulumiCommandStatics<C>,
  env: Record<string, string | undefined> = process.env,
): Promise<C> {
  if (!PulumiCommand) {
    PulumiCommand = (await import('@pulumi/pulumi/automation')).PulumiCommand as unknown as PulumiCommandStatics<C>;
  }
  const named = env[LAB_PULUMI_CLI];
  if (named !== undefined && named !== '') {
    try {
      return await PulumiCommand.get({ root: cliRootOf(named) });
    } catch (e) {
      if (e instanceof Error && e.message.startsWith(`${LAB_PULUMI_CLI}=`)) throw e;
      throw new Error(`${LAB_PULUMI_CLI}=${named}: ${isCliMissing(e) ? 'no such executable' : `cannot be used: ${firstLine(e)}`}`, { cause: e });
    }
  }
  const cliRoot = path.join(root, '.lab', 'pulumi');
  try {
    return await PulumiCommand.get();
  } catch (e) {
    if (!isCliMissing(e)) {
      throw new Error(`the Pulumi CLI on PATH cannot be used: ${firstLine(e)} (upgrade it, or take it off PATH so that the lab installs its own into ${path.relative(root, cliRoot)})`, { cause: e });
    }
  }
  try {
    return await PulumiCommand.get({ root: cliRoot });
  } catch (e) {
    if (!isCliMissing(e)) {
      throw new Error(`the Pulumi CLI in ${cliRoot} cannot be used: ${firstLine(e)} (delete ${cliRoot} and run the lab command again to reinstall it)`, { cause: e });
    }
  }
  io.stderr(`lab: the Pulumi CLI is not on PATH; installing it into ${path.relative(root, cliRoot)} (Automation API PulumiCommand.install, downloads from get.pulumi.com)\n`);
  try {
    return await PulumiCommand.install({ root: cliRoot });
  } catch (e) {
    throw new Error(`cannot install the Pulumi CLI into ${cliRoot}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)} (install it yourself: https://www.pulumi.com/docs/install/)`, { cause: e });
  }
}

/**
 * The environment the CLI runs with under the Automation API (automation/cmd.js PulumiCommand.run and
 * localWorkspace.js runPulumiCmd): the process environment, the workspace's variables over it, and the
 * CLI's own directory first on PATH when the command is a path (so plugins bundled with it are found).
 */
export function cliProcessEnv(command: string, vars: Record<string, string>, base: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  Object.assign(env, vars);
  if (path.isAbsolute(command)) env.PATH = `${path.dirname(command)}${path.delimiter}${vars.PATH ?? base.PATH ?? ''}`;
  env.PULUMI_AUTOMATION_API = 'true';
  return env;
}

/** Runs the CLI with the lab's environment, its output captured (for `plugin ls`, `version`). */
export function runCli(command: string, args: string[], vars: Record<string, string>, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cliProcessEnv(command, vars), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Runs the CLI with the lab's environment on the user's terminal; resolves to its exit code. */
export function passThrough(command: string, args: string[], vars: Record<string, string>, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cliProcessEnv(command, vars), stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

/** The plugins are not all there and Pulumi may not download them: each named with its install line. */
export class MissingPluginsError extends Error {
  constructor(
    readonly statuses: PluginStatus[],
    readonly lines: string[],
    pulumiHome: string,
  ) {
    super(
      `${lines.length} resource plugin${lines.length === 1 ? '' : 's'} the program needs ${lines.length === 1 ? 'is' : 'are'} not installed in ${pulumiHome} ` +
        `and automatic plugin download is off (${NO_PLUGIN_DOWNLOAD_VAR}=true or --no-plugin-download):\n` +
        lines.map((l) => `  ${l}`).join('\n'),
    );
    this.name = 'MissingPluginsError';
  }
}

/**
 * Where the engine will find each plugin the program asks for (`pulumi plugin ls --json` under the
 * PULUMI_HOME in use, and the PATH lookup the engine does first; see plugins.ts).
 */
export async function pluginStatuses(command: string, vars: Record<string, string>, cwd: string, required = requiredPlugins(REPO_ROOT)): Promise<PluginStatus[]> {
  const r = await runCli(command, ['plugin', 'ls', '--json'], vars, cwd);
  if (r.code !== 0) throw new Error(`pulumi plugin ls --json failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}`);
  const env = cliProcessEnv(command, vars);
  const ignoreAmbient = pulumiTruthy(env.PULUMI_IGNORE_AMBIENT_PLUGINS);
  return checkPlugins(required, parsePluginList(r.stdout), (name) => (ignoreAmbient ? undefined : ambientPlugin(name, env.PATH ?? '')));
}

/** PULUMI_HOME as the CLI will see it (for messages). */
export function pulumiHomeOf(vars: Record<string, string>): string {
  return vars.PULUMI_HOME ?? process.env.PULUMI_HOME ?? '~/.pulumi';
}

/**
 * Before an operation that runs providers: with downloads off, every plugin must be found (else
 * MissingPluginsError); with downloads on, the ones Pulumi will fetch are named on stderr.
 */
export async function ensurePlugins(io: LabIO, command: string, le: LabEnvironment, cwd: string, required?: ReturnType<typeof requiredPlugins>): Promise<PluginStatus[]> {
  const statuses = await pluginStatuses(command, le.vars, cwd, required);
  const lines = missingPluginLines(statuses);
  if (lines.length > 0 && !le.pluginDownload) throw new MissingPluginsError(statuses, lines, pulumiHomeOf(le.vars));
  if (lines.length > 0) {
    io.stderr(`lab: Pulumi will download these plugins on first use: ${statuses.filter((s) => s.found === false).map((s) => `${s.spec.name} ${s.spec.version}`).join(', ')}\n`);
  }
  return statuses;
}

/** How a verb opens its stack: `create` (up, rebuild) creates a missing stack; `select` (down, outputs,
 *  compare) refuses a missing one instead of creating an empty stack as a side effect. */
export type OpenMode = 'create' | 'select';

/** The program and project a stack runs: the lab itself, or another program (the engine suite's). */
export interface StackSource {
  /** The project directory: Pulumi.yaml and Pulumi.<stack>.yaml; providers run here. */
  workDir: string;
  program: () => Promise<Record<string, unknown>>;
}

/** The project name in a project's Pulumi.yaml (an inline program must name the same project). */
export function projectName(workDir: string): string {
  const file = path.join(workDir, 'Pulumi.yaml');
  const name = (YAML.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name === '') throw new Error(`${file}: no project name (expected a "name:" key)`);
  return name;
}

/** The lab's program, inline, in the repository. */
export function labSource(root = REPO_ROOT): StackSource {
  return { workDir: root, program: async () => (await import('../program')).labProgram() };
}

export interface OpenOptions {
  /** Check the plugins first (operations that run providers: up, destroy). */
  plugins?: boolean;
  noPluginDownload?: boolean;
  source?: StackSource;
  /** Only these plugins are checked (a program that uses fewer packages than the project). */
  required?: ReturnType<typeof requiredPlugins>;
}

/** Opens a stack of this project with the lab's environment. */
export async function openStack(
  name: string,
  io: LabIO,
  mode: OpenMode,
  opts: OpenOptions = {},
  env: Record<string, string | undefined> = process.env,
  root = REPO_ROOT,
): Promise<import('@pulumi/pulumi/automation').Stack> {
  const le = labEnvironment(env, root, { noPluginDownload: opts.noPluginDownload });
  for (const w of le.warnings) io.stderr(`lab: warning: ${w}\n`);
  if (le.stateDir) fs.mkdirSync(le.stateDir, { recursive: true });
  const pulumiCommand = await ensurePulumiCli(io, root, undefined, env);
  const source = opts.source ?? labSource(root);
  if (opts.plugins) await ensurePlugins(io, pulumiCommand.command, le, source.workDir, opts.required);
  const { LocalWorkspace, StackNotFoundError } = await import('@pulumi/pulumi/automation');
  io.stderr(`lab: stack ${name}, state in ${le.backend}\n`);
  const args = { stackName: name, projectName: projectName(source.workDir), program: source.program };
  const wsOpts = { workDir: source.workDir, pulumiCommand, envVars: le.vars };
  if (mode === 'create') return LocalWorkspace.createOrSelectStack(args, wsOpts);
  try {
    return await LocalWorkspace.selectStack(args, wsOpts);
  } catch (e) {
    if (e instanceof StackNotFoundError) {
      throw new Error(`stack ${name} does not exist in ${le.backend} (create it with: npm run lab -- up --stack ${name})`, { cause: e });
    }
    throw e;
  }
}

/** `npm run lab -- pulumi ARGS...`: the lab's CLI and environment, in the repository; the CLI's exit code. */
export async function runPulumiPassThrough(args: string[], io: LabIO, env: Record<string, string | undefined> = process.env, root = REPO_ROOT): Promise<number> {
  const le = labEnvironment(env, root);
  for (const w of le.warnings) io.stderr(`lab: warning: ${w}\n`);
  if (le.stateDir) fs.mkdirSync(le.stateDir, { recursive: true });
  const cli = await ensurePulumiCli(io, root, undefined, env);
  return passThrough(cli.command, args, le.vars, root);
}
