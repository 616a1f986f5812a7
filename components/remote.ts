/**
 * Running the project's shell scripts on the lab's VMs.
 *
 * Pulumi only ever SSHes to the router (optionally through `lab:sshProxy` for a remote libvirt host);
 * a command for a node runs as `ssh lab@NODE ...` FROM the router with the lab key the router got from
 * cloud-init.
 *
 * Secrets stay out of every argv. The command text is only `sudo -n bash -s -- VERB NAME` (behind
 * `ssh OPTIONS lab@NODE` for a node): sudo writes each command's argv to the auth log, `ps` shows it to
 * every user, and @pulumi/command repeats it in error messages. The environment and the script travel
 * on the command's stdin (`remote.Command` `stdin`, which ssh forwards through the router hop):
 * `export K='v'` lines, then scripts/vm/lib.sh and the script concatenated into one text that root's
 * bash runs with `bash -c TEXT NAME </dev/null` (stdin detached, so an ssh or kubectl in the script
 * cannot swallow it). @pulumi/command sends the same stdin to create and delete, so the text carries
 * both scripts and VERB picks one. sshd refuses unknown SetEnv variables, so no SSH environment is used.
 * Because the scripts' text is part of stdin, editing a script re-runs the command on the next `pulumi up`.
 */
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as command from '@pulumi/command';
import { LAB_USER } from './cloud-init';
import { labSshOptions, readRepoFile, scriptWithLib, VM_LIB } from './vm-lib';

export { labSshOptions, scriptWithLib, VM_LIB };

export interface SshTarget {
  /** Connection to the router (host, user, privateKey, proxy...). */
  router: command.types.input.remote.ConnectionArgs;
  /** Node IP reached by ssh FROM the router; undefined = run on the router itself. */
  node?: pulumi.Input<string>;
}

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export type ScriptVerb = 'create' | 'delete';

/** A script to run: a repo path (e.g. 'scripts/vm/capture-start.sh') or `{ name, text }` for inline text. */
export type ScriptSource = string | { name: string; text: string };

function resolveScript(s: ScriptSource): { name: string; text: string } {
  return typeof s === 'string' ? { name: path.basename(s), text: readRepoFile(s) } : s;
}

function checkEnvNames(env: Record<string, string>): void {
  for (const k of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
  }
}

/**
 * Pure: the stdin text that root's `bash -s -- VERB NAME` reads: the environment as `export` lines,
 * then, for VERB, lib.sh + that script run by `bash -c` (so `$0` is the script's name).
 */
export function scriptStdin(scripts: Partial<Record<ScriptVerb, ScriptSource>>, env: Record<string, string> = {}): string {
  checkEnvNames(env);
  const lib = readRepoFile(VM_LIB);
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  lines.push('case "${1:-}" in');
  for (const verb of ['create', 'delete'] as const) {
    const s = scripts[verb];
    if (s === undefined) continue;
    const { name, text } = resolveScript(s);
    lines.push(`  ${verb}) lab_name=${shellQuote(name)} lab_text=${shellQuote(scriptWithLib(text, lib))} ;;`);
  }
  lines.push(`  *) echo "lab: no script for verb '\${1:-}'" >&2; exit 2 ;;`, 'esac', 'exec bash -c "$lab_text" "$lab_name" </dev/null', '');
  return lines.join('\n');
}

/**
 * Pure: the command text that runs `scriptStdin` as root on the router, or on `node` through ssh from
 * the router. It names the verb and the script (for logs) and carries nothing else.
 */
export function scriptCommandLine(verb: ScriptVerb, name: string, node?: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid script name ${JSON.stringify(name)}`);
  const local = `sudo -n bash -s -- ${verb} ${name}`;
  if (node === undefined) return local;
  return ['ssh', ...labSshOptions(), `${LAB_USER}@${node}`, shellQuote(local)].join(' ');
}

/** What a remote.Command (or the VM suite's ssh) sends: the command text and its stdin. */
export interface ScriptCommand {
  command: string;
  stdin: string;
}

/**
 * Pure: one script with its environment, on the router or on `node` from it, exactly as runScript
 * sends it. `script` is a repo path or `{ name, text }`.
 */
export function scriptCommandText(script: ScriptSource, env: Record<string, string> = {}, node?: string): ScriptCommand {
  return { command: scriptCommandLine('create', resolveScript(script).name, node), stdin: scriptStdin({ create: script }, env) };
}

export interface RunScriptArgs {
  target: SshTarget;
  /** Repository path of the script, e.g. 'scripts/vm/capture-start.sh'. */
  script: string;
  env?: Record<string, pulumi.Input<string>>;
  /** Script run on delete (same target and env). */
  deleteScript?: string;
  triggers?: pulumi.Input<unknown>[];
  /** stdout holds secrets: keep it out of logs and mark it secret. */
  secretStdout?: boolean;
}

/** Runs a repository script on the router or a node as a `command.remote.Command`. */
export function runScript(name: string, args: RunScriptArgs, opts?: pulumi.CustomResourceOptions): command.remote.Command {
  const env = pulumi.output(args.env ?? {}) as pulumi.Output<Record<string, string>>;
  const node = args.target.node === undefined ? pulumi.output<string | undefined>(undefined) : pulumi.output(args.target.node);
  const create = node.apply((n) => scriptCommandLine('create', path.basename(args.script), n));
  const del =
    args.deleteScript === undefined ? undefined : node.apply((n) => scriptCommandLine('delete', path.basename(args.deleteScript as string), n));
  const stdin = env.apply((e) => scriptStdin({ create: args.script, ...(args.deleteScript ? { delete: args.deleteScript } : {}) }, e));
  return new command.remote.Command(
    name,
    {
      connection: args.target.router,
      create,
      delete: del,
      stdin,
      triggers: args.triggers,
      logging: args.secretStdout ? 'stderr' : undefined,
    },
    {
      ...opts,
      // stdin carries the environment, which may hold key material that arrived as a plain string.
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), 'stdin', ...(args.secretStdout ? ['stdout'] : [])],
      // The SSH agent socket of the proxy hop changes with every login session; it is not a reason to
      // re-run a command.
      ignoreChanges: [...(opts?.ignoreChanges ?? []), 'connection.proxy.agentSocketPath'],
    },
  );
}
