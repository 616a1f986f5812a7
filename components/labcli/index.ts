/**
 * The lab command: `npm run lab -- <verb> [options]` (scripts/lab.ts is the thin bin).
 * `execute(argv, io)` returns the exit code and never exits the process (eslint's lib/cli.js shape):
 *   0  done (up/rebuild: the verification passed; compare: every stack passes)
 *   1  done, but the verification did not pass (up, rebuild, compare)
 *   2  bad usage (one line), or Pulumi / the environment failed (one line; Pulumi's own output streamed
 *      above), or plugins missing while Pulumi may not download them (one line per plugin)
 * `pulumi ARGS...` runs the CLI the lab found with the lab's environment and returns the CLI's exit code.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseLabArgs, USAGE, UsageError } from './args';
import { compareOutputs, formatComparison, withBefore, type StackOutputs } from './compare';
import { writeComparisonReport } from './report';
import { failFast } from './fail-fast';
import { readVerification } from './verification';
import { MissingPluginsError, openStack as realOpenStack, runPulumiPassThrough, type LabIO, type LabStack, type OpenMode } from './pulumi';

export { parseLabArgs, UsageError, USAGE } from './args';
export { compareOutputs, formatComparison } from './compare';
export { ensurePulumiCli, labEnvironment, LAB_PASSPHRASE, MissingPluginsError } from './pulumi';
export type { LabIO, LabStack, OpenMode } from './pulumi';

/** How a verb opens its stack: whether providers will run (plugins checked first) and may be downloaded. */
export interface OpenFor {
  plugins: boolean;
  noPluginDownload?: boolean;
}

export interface LabDeps {
  openStack(name: string, io: LabIO, mode: OpenMode, use: OpenFor): Promise<LabStack>;
  /** `pulumi ARGS...` through the lab; the CLI's exit code (default: the real CLI). */
  pulumi?(args: string[], io: LabIO): Promise<number>;
  readFile(file: string): string;
}

const realDeps: Required<LabDeps> = {
  openStack: (name, io, mode, use) => realOpenStack(name, io, mode, use),
  pulumi: (args, io) => runPulumiPassThrough(args, io),
  readFile: (file) => fs.readFileSync(file, 'utf8'),
};
const READ_ONLY: OpenFor = { plugins: false };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Automation API outputs -> plain values, secrets replaced by "[secret]" (as `pulumi stack output`). */
export function plainOutputs(o: Record<string, { value: unknown; secret: boolean }>): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) out[k] = v.secret ? '[secret]' : v.value;
  return out;
}

/** The few lines `up` prints after Pulumi's own output. */
export function summarize(stack: string, outputs: Obj): { text: string; pass: boolean } {
  const read = readVerification(outputs);
  if ('problem' in read) return { text: `${stack}: ${read.problem}\n`, pass: false };
  const v = read.verification;
  const lines = [`${stack}: ${v.pass ? 'PASS' : 'FAIL'} (verdict ${v.verdict ?? '-'}, expected ${v.expected?.expect ?? '-'})`];
  for (const f of v.failures) lines.push(`  - ${f}`);
  if (v.capturePath !== undefined) lines.push(`  capture: ${v.capturePath}`);
  if (v.wiresharkConfigDir !== undefined) {
    lines.push(`  decrypted in Wireshark: WIRESHARK_CONFIG_DIR=${v.wiresharkConfigDir} wireshark ${v.capturePath ?? '-'}`);
  }
  return { text: lines.join('\n') + '\n', pass: v.pass };
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // Automation API CommandError messages carry the whole CLI output (streamed above already): pick the
  // first specific "error:" line ("update failed" says nothing), else the first line.
  const errs = lines.map((l) => /\berror:\s*(.+)$/i.exec(l)?.[1]).filter((l): l is string => !!l);
  return errs.find((l) => !/^update failed$/i.test(l)) ?? errs[0] ?? lines[0] ?? 'unknown error';
}

function readRecorded(file: string, deps: LabDeps): StackOutputs {
  let text: string;
  try {
    text = deps.readFile(file);
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`${file}: not JSON (expected the output of \`pulumi stack output --json\` or \`lab outputs --json\`)`);
  }
  if (!isObj(data)) throw new UsageError(`${file}: expected a JSON object of stack outputs`);
  return { name: path.basename(file).replace(/\.json$/, ''), outputs: data };
}

export async function execute(argv: string[], io: LabIO, deps: LabDeps = realDeps): Promise<number> {
  let args;
  try {
    args = parseLabArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`lab: ${e.message} (npm run lab -- --help)\n`);
      return 2;
    }
    throw e;
  }
  if (args.verb === 'help') {
    io.stdout(USAGE + '\n');
    return 0;
  }
  const stream = (out: string) => io.stdout(out);
  try {
    switch (args.verb) {
      case 'pulumi':
        return await (deps.pulumi ?? realDeps.pulumi)(args.args, io);
      case 'up':
      case 'rebuild': {
        const stack = await deps.openStack(args.stack, io, 'create', { plugins: true, noPluginDownload: args.noPluginDownload });
        if (args.verb === 'rebuild') {
          io.stderr(`lab: rebuild: destroying stack ${args.stack}\n`);
          await stack.destroy({ onOutput: stream });
        }
        io.stderr(`lab: up: stack ${args.stack}\n`);
        await failFast((signal) => stack.up({ onOutput: stream, signal, ...(args.verb === 'up' && args.replace.length > 0 ? { replace: args.replace } : {}) }));
        const s = summarize(args.stack, plainOutputs(await stack.outputs()));
        io.stdout(s.text);
        return s.pass ? 0 : 1;
      }
      case 'down': {
        const stack = await deps.openStack(args.stack, io, 'select', { plugins: true, noPluginDownload: args.noPluginDownload });
        await stack.destroy({ onOutput: stream });
        io.stdout(`${args.stack}: destroyed (captures under captures/${args.stack}/ are kept)\n`);
        return 0;
      }
      case 'outputs': {
        const stack = await deps.openStack(args.stack, io, 'select', READ_ONLY);
        const o = plainOutputs(await stack.outputs());
        if (args.json) io.stdout(JSON.stringify(o, null, 2) + '\n');
        else {
          for (const [k, v] of Object.entries(o)) io.stdout(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v, null, 2)}\n`);
          if (Object.keys(o).length === 0) io.stdout(`${args.stack}: no outputs (run up first)\n`);
        }
        return 0;
      }
      case 'compare': {
        const cols: StackOutputs[] = [];
        if (args.from.length > 0) {
          for (const f of args.from) cols.push(readRecorded(f, deps));
        } else {
          for (const st of args.stacks) cols.push({ name: st, outputs: plainOutputs(await (await deps.openStack(st, io, 'select', READ_ONLY)).outputs()) });
        }
        const c = compareOutputs(...withBefore(cols));
        io.stdout(args.json ? JSON.stringify(c, null, 2) + '\n' : formatComparison(c));
        return c.pass ? 0 : 1;
      }
      case 'report': {
        const stacks: StackOutputs[] = withBefore(args.from.length > 0
          ? args.from.map((f) => readRecorded(f, deps))
          : await Promise.all(args.stacks.map(async (s) => ({ name: s, outputs: plainOutputs(await (await deps.openStack(s, io, 'select', READ_ONLY)).outputs()) }))));
        const r = await writeComparisonReport(stacks, args.out);
        io.stdout(`${args.out}: ${stacks.map((s, i) => `${s.name} ${r.pass[i] ? 'PASS' : 'FAIL'}`).join(', ')} (${r.bytes} bytes)\n`);
        return r.pass.every((p, i) => p || stacks[i].history) ? 0 : 1;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`lab: ${e.message}\n`);
      return 2;
    }
    if (e instanceof MissingPluginsError) {
      io.stderr(`lab: ${args.verb}: ${e.message}\n`);
      return 2;
    }
    io.stderr(`lab: ${args.verb}: ${oneLine(e)}\n`);
    return 2;
  }
}
