/**
 * Running the project's shell scripts on the lab's VMs.
 *
 * Pulumi only ever SSHes to the router (optionally through `lab:sshProxy` for a remote libvirt host);
 * a command for a node runs as `ssh lab@NODE ...` FROM the router with the lab key the router got from
 * cloud-init. The script's text and its environment travel inside the command text, quoted for each
 * shell on the way (sshd refuses unknown SetEnv variables, so no SSH environment is used). Because the
 * script's text is part of the command, editing a script re-runs the command on the next `pulumi up`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as command from '@pulumi/command';
import { LAB_USER } from './cloud-init';

const repoRoot = path.resolve(__dirname, '..');

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

/** ssh options the router uses to reach a node (fresh VMs: no known_hosts; never prompt). */
export const NODE_SSH_OPTIONS = [
  '-o', 'BatchMode=yes',
  '-o', 'StrictHostKeyChecking=no',
  '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'LogLevel=ERROR',
  '-o', 'ConnectTimeout=15',
  '-o', 'ServerAliveInterval=15',
];

/**
 * Pure: the command text that runs a repository script as root with the given environment, on the
 * machine the text is executed on (the router), or on `node` through ssh from there.
 * `script` is a repo path (e.g. 'scripts/vm/capture-start.sh') or, with `{ inline: true }`, the text.
 */
export function scriptCommandText(
  script: string,
  env: Record<string, string> = {},
  node?: string,
  opts: { inline?: boolean } = {},
): string {
  const text = opts.inline ? script : fs.readFileSync(path.join(repoRoot, script), 'utf8');
  const name = opts.inline ? 'lab-inline' : path.basename(script);
  for (const k of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
  }
  const assigns = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const local = ['sudo', 'env', ...assigns, 'bash', '-c', shellQuote(text), name].join(' ');
  if (node === undefined) return local;
  return ['ssh', ...NODE_SSH_OPTIONS, `${LAB_USER}@${node}`, shellQuote(local)].join(' ');
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
  const create = pulumi.all([env, node]).apply(([e, n]) => scriptCommandText(args.script, e, n));
  const del =
    args.deleteScript === undefined
      ? undefined
      : pulumi.all([env, node]).apply(([e, n]) => scriptCommandText(args.deleteScript as string, e, n));
  return new command.remote.Command(
    name,
    {
      connection: args.target.router,
      create,
      delete: del,
      triggers: args.triggers,
      logging: args.secretStdout ? 'stderr' : undefined,
    },
    {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...(args.secretStdout ? ['stdout'] : [])],
      // The SSH agent socket of the proxy hop changes with every login session; it is not a reason to
      // re-run a command.
      ignoreChanges: [...(opts?.ignoreChanges ?? []), 'connection.proxy.agentSocketPath'],
    },
  );
}
