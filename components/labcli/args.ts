/**
 * Argument handling of the lab command (`npm run lab -- <verb> [options]`), strict like node's
 * util.parseArgs: an unknown option, a missing value or a bad stack name is a UsageError (exit 2, one line).
 */
import { parseArgs } from 'node:util';
import { LAB_PULUMI_CLI } from './pulumi';

export const VERBS = ['up', 'down', 'rebuild', 'outputs', 'compare', 'report', 'pulumi'] as const;
export type Verb = (typeof VERBS)[number];

export const DEFAULT_STACK = 'dev';
export const DEFAULT_COMPARE: string[] = ['unencrypted', 'ipsec'];
export const DEFAULT_REPORT = ['unencrypted', 'ipsec', 'wireguard'];
export const DEFAULT_REPORT_FILE = 'captures/report.html';

export const USAGE = `usage: npm run lab -- <verb> [options]
verbs:
  up       [--stack S]          create or update the lab of stack S (default ${DEFAULT_STACK}) and print its verdict
  down     [--stack S]          destroy the lab of stack S
  rebuild  [--stack S]          down, then up
  outputs  [--stack S] [--json] print the stack's outputs (secrets stay hidden)
  compare  [A B ...] [--json]   the verification of two or more stacks side by side (default ${DEFAULT_COMPARE.join(' ')})
           [--from FILE]...     ... from recorded outputs (\`pulumi stack output --json\` or \`lab outputs --json\`)
  report   [STACK...]           one HTML page comparing stacks side by side (default ${DEFAULT_REPORT.join(' ')})
           [--from FILE]...     ... from recorded outputs; [--out FILE] where (default ${DEFAULT_REPORT_FILE})
  pulumi   ARGS...              the Pulumi CLI the lab uses, with the lab's backend and passphrase, in the
                                repository (e.g. pulumi config set lab:ipsecKeyId 4 --stack ipsec); exit code is the CLI's
options:
  --stack S   stack name          --json   machine-readable output       -h, --help   this text
  --replace URN                 up: replace this resource (repeatable), as \`pulumi up --replace\`
  --no-plugin-download          up, down, rebuild: Pulumi must not download plugins; a missing one is exit 2
environment:
  PULUMI_BACKEND_URL        state backend (default: file://<repo>/.lab/state, no account needed)
  PULUMI_CONFIG_PASSPHRASE  passphrase of the stack's secrets (default: a documented lab passphrase, with a warning)
  ${LAB_PULUMI_CLI}            the pulumi binary to use (<root>/bin/pulumi); default: PATH, then .lab/pulumi, else installed there
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true   as --no-plugin-download
  PULUMI_HOME               where Pulumi keeps its plugins (default ~/.pulumi)`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type LabArgs =
  | { verb: 'help' }
  | { verb: 'up'; stack: string; replace: string[]; noPluginDownload: boolean }
  | { verb: 'down' | 'rebuild'; stack: string; noPluginDownload: boolean }
  | { verb: 'pulumi'; args: string[] }
  | { verb: 'outputs'; stack: string; json: boolean }
  | { verb: 'compare'; stacks: string[]; from: string[]; json: boolean }
  | { verb: 'report'; stacks: string[]; from: string[]; out: string };

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function checkStack(s: string): string {
  if (!STACK_NAME.test(s)) {
    throw new UsageError(`invalid stack name ${JSON.stringify(s)}: letters, digits, '-', '_' or '.', starting with a letter or digit`);
  }
  return s;
}

/** A Pulumi URN (`urn:pulumi:STACK::PROJECT::TYPE::NAME`), e.g. from `pulumi stack --show-urns`. */
function checkUrn(u: string): string {
  if (!/^urn:pulumi:[^:]+::[^:]+::.+::.+$/.test(u)) {
    throw new UsageError(`--replace ${JSON.stringify(u)}: expected a resource URN urn:pulumi:STACK::PROJECT::TYPE::NAME (npm run -s lab -- pulumi stack --stack S --show-urns lists them)`);
  }
  return u;
}

export function parseLabArgs(argv: string[]): LabArgs {
  // Everything after `pulumi` is the CLI's own (its options are not the lab's).
  if (argv[0] === 'pulumi') {
    if (argv.length === 1) throw new UsageError('pulumi: expected the Pulumi CLI\'s arguments (e.g. pulumi config set lab:ipsecKeyId 4 --stack ipsec)');
    return { verb: 'pulumi', args: argv.slice(1) };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: 'string', short: 's' },
        json: { type: 'boolean' },
        from: { type: 'string', multiple: true },
        out: { type: 'string', short: 'o' },
        replace: { type: 'string', multiple: true },
        'no-plugin-download': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    // node's messages are one line, e.g. "Unknown option '--stak'. To specify a positional argument ..."
    const msg = e instanceof Error ? e.message.split('\n')[0].split('. ')[0].replace(/\.$/, '') : String(e);
    throw new UsageError(msg);
  }
  const { values, positionals } = parsed;
  if (values.help) return { verb: 'help' };
  const [verb, ...rest] = positionals;
  if (verb === undefined) throw new UsageError(`missing verb (one of ${VERBS.join(', ')})`);
  if (verb === 'help') return { verb: 'help' };
  if (!(VERBS as readonly string[]).includes(verb)) {
    throw new UsageError(`unknown verb ${JSON.stringify(verb)} (one of ${VERBS.join(', ')})`);
  }
  const v = verb as Exclude<Verb, 'pulumi'>;
  if (verb === 'pulumi') throw new UsageError('pulumi: the Pulumi CLI\'s arguments come after it, with no lab option before (npm run lab -- pulumi ARGS...)');
  if (v !== 'up' && values.replace !== undefined) throw new UsageError(`${v}: --replace only applies to up`);
  const noPluginDownload = !!values['no-plugin-download'];
  if (noPluginDownload && v !== 'up' && v !== 'down' && v !== 'rebuild') throw new UsageError(`${v}: --no-plugin-download only applies to up, down and rebuild (${v} runs no provider)`);
  if (v !== 'report' && values.out !== undefined) throw new UsageError(`${v}: --out only applies to report`);
  if (v === 'report') {
    if (values.stack !== undefined) throw new UsageError('report: give stack names (report A B C), not --stack');
    if (values.json) throw new UsageError('report: --json does not apply (the report is an HTML page)');
    const from = values.from ?? [];
    if (from.length > 0 && rest.length > 0) throw new UsageError('report: give either stacks or --from files, not both');
    const stacks = from.length > 0 ? from : rest.length > 0 ? rest.map(checkStack) : DEFAULT_REPORT;
    if (new Set(stacks).size !== stacks.length) throw new UsageError(`report: a stack is named twice (${stacks.join(' ')})`);
    return { verb: v, stacks, from, out: values.out ?? DEFAULT_REPORT_FILE };
  }
  if (v !== 'compare') {
    if (rest.length > 0) throw new UsageError(`${v}: unexpected argument ${JSON.stringify(rest[0])} (use --stack S)`);
    if (values.from) throw new UsageError(`${v}: --from only applies to compare`);
  }
  if (v !== 'outputs' && v !== 'compare' && values.json) throw new UsageError(`${v}: --json only applies to outputs and compare`);
  switch (v) {
    case 'up':
      return { verb: v, stack: checkStack(values.stack ?? DEFAULT_STACK), replace: (values.replace ?? []).map(checkUrn), noPluginDownload };
    case 'down':
    case 'rebuild':
      return { verb: v, stack: checkStack(values.stack ?? DEFAULT_STACK), noPluginDownload };
    case 'outputs':
      return { verb: v, stack: checkStack(values.stack ?? DEFAULT_STACK), json: !!values.json };
    case 'compare': {
      if (values.stack !== undefined) throw new UsageError('compare: give the stack names (compare A B ...), not --stack');
      const from = values.from ?? [];
      const dup = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
      if (from.length > 0) {
        if (from.length < 2) throw new UsageError(`compare: --from needs at least two files, got ${from.length}`);
        if (rest.length > 0) throw new UsageError('compare: give either stacks or --from files, not both');
        const d = dup(from);
        if (d !== undefined) throw new UsageError(`compare: --from ${d} is given twice`);
        return { verb: v, stacks: [...from], from, json: !!values.json };
      }
      if (rest.length === 1) throw new UsageError('compare: expected at least two stack names, got 1');
      const stacks = rest.length >= 2 ? rest.map(checkStack) : [...DEFAULT_COMPARE];
      const d = dup(stacks);
      if (d !== undefined) throw new UsageError(`compare: stack ${d} is given twice`);
      return { verb: v, stacks, from: [], json: !!values.json };
    }
  }
}
