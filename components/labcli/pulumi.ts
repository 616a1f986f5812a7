/**
 * The lab command's connection to Pulumi, through the Automation API (@pulumi/pulumi/automation):
 * the repository is the project (workDir = repo root, Pulumi.yaml + Pulumi.<stack>.yaml), state in a local
 * file backend inside the project unless the user chose one, secrets with a passphrase from the
 * environment (lab default with a warning), and the Pulumi CLI installed under .lab/pulumi when missing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../repo';

export { REPO_ROOT };
/** The documented default passphrase of lab stacks' secrets (labs only: set your own for anything else). */
export const LAB_PASSPHRASE = 'cilium-ipsec-lab';

export interface LabIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** What the lab command needs from a stack (the Automation API's Stack satisfies it). */
export interface LabStack {
  up(opts: { onOutput: (out: string) => void }): Promise<unknown>;
  destroy(opts: { onOutput: (out: string) => void }): Promise<unknown>;
  outputs(): Promise<Record<string, { value: unknown; secret: boolean }>>;
}

export interface LabEnvironment {
  /** Variables for the Pulumi CLI (merged over the process environment by the Automation API). */
  vars: Record<string, string>;
  /** Where the state is (for messages). */
  backend: string;
  /** Local directory to create for a file backend inside the project, if any. */
  stateDir?: string;
  warnings: string[];
}

/** Pure: backend and passphrase from the environment, with the lab's defaults. */
export function labEnvironment(env: Record<string, string | undefined>, root: string): LabEnvironment {
  const vars: Record<string, string> = { PULUMI_SKIP_UPDATE_CHECK: 'true' };
  const warnings: string[] = [];
  let backend = env.PULUMI_BACKEND_URL;
  let stateDir: string | undefined;
  if (!backend) {
    stateDir = path.join(root, '.lab', 'state');
    backend = `file://${stateDir}`;
  }
  vars.PULUMI_BACKEND_URL = backend;
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    vars.PULUMI_CONFIG_PASSPHRASE = LAB_PASSPHRASE;
    warnings.push(
      `PULUMI_CONFIG_PASSPHRASE is not set: using the lab default passphrase "${LAB_PASSPHRASE}" for this stack's secrets (fine for a throwaway lab; set your own otherwise)`,
    );
  }
  return { vars, backend, stateDir, warnings };
}

/** The Automation API's PulumiCommand statics (injectable for tests). */
export interface PulumiCommandStatics<C> {
  get(opts?: { root?: string }): Promise<C>;
  install(opts?: { root?: string }): Promise<C>;
}

/** Finds the Pulumi CLI (PATH, then .lab/pulumi), or installs it into .lab/pulumi with a message. */
export async function ensurePulumiCli<C = import('@pulumi/pulumi/automation').PulumiCommand>(
  io: LabIO,
  root: string,
  PulumiCommand?: PulumiCommandStatics<C>,
): Promise<C> {
  if (!PulumiCommand) {
    PulumiCommand = (await import('@pulumi/pulumi/automation')).PulumiCommand as unknown as PulumiCommandStatics<C>;
  }
  try {
    return await PulumiCommand.get();
  } catch {
    /* not on PATH */
  }
  const cliRoot = path.join(root, '.lab', 'pulumi');
  try {
    return await PulumiCommand.get({ root: cliRoot });
  } catch {
    /* not installed there yet */
  }
  io.stderr(`lab: the Pulumi CLI is not on PATH; installing it into ${path.relative(root, cliRoot)} (Automation API PulumiCommand.install, downloads from get.pulumi.com)\n`);
  try {
    return await PulumiCommand.install({ root: cliRoot });
  } catch (e) {
    throw new Error(`cannot install the Pulumi CLI into ${cliRoot}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)} (install it yourself: https://www.pulumi.com/docs/install/)`);
  }
}

/** How a verb opens its stack: `create` (up, rebuild) creates a missing stack; `select` (down, outputs,
 *  compare) refuses a missing one instead of creating an empty stack as a side effect. */
export type OpenMode = 'create' | 'select';

/** Opens a stack of this project with the lab's environment. */
export async function openStack(
  name: string,
  io: LabIO,
  mode: OpenMode,
  env: Record<string, string | undefined> = process.env,
  root = REPO_ROOT,
): Promise<LabStack> {
  const le = labEnvironment(env, root);
  for (const w of le.warnings) io.stderr(`lab: warning: ${w}\n`);
  if (le.stateDir) fs.mkdirSync(le.stateDir, { recursive: true });
  const pulumiCommand = await ensurePulumiCli(io, root);
  const { LocalWorkspace, StackNotFoundError } = await import('@pulumi/pulumi/automation');
  io.stderr(`lab: stack ${name}, state in ${le.backend}\n`);
  const args = { stackName: name, workDir: root };
  const opts = { pulumiCommand, envVars: le.vars };
  if (mode === 'create') return LocalWorkspace.createOrSelectStack(args, opts);
  try {
    return await LocalWorkspace.selectStack(args, opts);
  } catch (e) {
    if (e instanceof StackNotFoundError) {
      throw new Error(`stack ${name} does not exist in ${le.backend} (create it with: npm run lab -- up --stack ${name})`);
    }
    throw e;
  }
}
