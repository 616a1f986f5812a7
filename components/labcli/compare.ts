/**
 * `lab compare`: the verification of any number of stacks side by side (`compare unencrypted ipsec
 * wireguard`), with the WireGuard rows and, after a key rotation, the rotation rows. Pure: it works on stacks' outputs as
 * plain objects (what `pulumi stack output --json` or `lab outputs --json` print, or the Automation API's
 * outputs with the values unwrapped), so it can be run on recorded outputs and tested without Pulumi.
 * The `verification` output is read once, by ./verification.ts.
 */
import type { EspFlowReport } from '../verifier/report';
import { modeCells, MODE_ROWS } from './compare-modes';
import { readVerification, type StackVerification } from './verification';

export interface StackOutputs {
  /** Label for the column (the stack name or the file it came from). */
  name: string;
  outputs: Record<string, unknown>;
  /** A stack's verification before its in-place switch (withBefore): shown, never deciding the comparison's pass. */
  history?: boolean;
}

/**
 * The stacks with, before each one switched in place, a column for its `verification.before` (the last
 * verification in the mode before the switch: the manual method's "before" beside its "after"), named
 * `<stack> before (<mode>)`.
 */
export function withBefore(stacks: readonly StackOutputs[]): StackOutputs[] {
  return stacks.flatMap((s) => {
    const v = s.outputs.verification;
    const before = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>).before : undefined;
    if (!before || typeof before !== 'object' || Array.isArray(before)) return [s];
    const expected = (before as { expected?: { encryption?: unknown } }).expected;
    const mode = typeof expected?.encryption === 'string' ? expected.encryption : 'previous mode';
    return [{ name: `${s.name} before (${mode})`, outputs: { encryption: mode, verification: before }, history: true }, s];
  });
}

export interface CompareRow {
  label: string;
  /** One value per stack, in the order of `stacks`. */
  values: string[];
}

export interface Comparison {
  stacks: string[];
  rows: CompareRow[];
  /** Every stack has a verification that passed. */
  pass: boolean;
  /** Why a column could not be compared (e.g. no verification output yet). */
  problems: string[];
}

/** The smallest and largest frame size over the ESP flows (each flow's `sizes` is { min, max, mean }). */
export function sizeRange(flows: readonly Pick<EspFlowReport, 'sizes'>[]): { min: number; max: number } | undefined {
  if (flows.length === 0) return undefined;
  return { min: Math.min(...flows.map((f) => f.sizes.min)), max: Math.max(...flows.map((f) => f.sizes.max)) };
}

function fmtNum(n: number | undefined): string {
  return n === undefined ? '-' : String(n);
}

/** One column of the comparison, from one stack's outputs; `verification` when it could be read. */
export function describe(o: StackOutputs): { cells: Map<string, string>; pass: boolean; problem?: string; verification?: StackVerification } {
  const cells = new Map<string, string>();
  const read = readVerification(o.outputs);
  if ('problem' in read) {
    const hint = read.problem === 'no verification output' ? ` (run \`npm run lab -- up --stack ${o.name}\` first)` : '';
    return { cells, pass: false, problem: `${o.name}: ${read.problem}${hint}` };
  }
  const v = read.verification;
  const flows = v.esp?.flows ?? [];
  const expected = v.expected;
  const spis = v.esp ? v.esp.spis.join(', ') : '-';
  const endpoints = [...new Set(flows.map((f) => `${f.src} -> ${f.dst}`))];
  const sizes = sizeRange(flows);
  const paths = [...new Set(flows.flatMap((f) => f.paths))];
  const enc = typeof o.outputs.encryption === 'string' ? o.outputs.encryption : expected?.encryption;
  cells.set('encryption', enc ?? '-');
  cells.set('verdict', v.verdict ?? '-');
  cells.set('expected', expected?.expect ?? '-');
  cells.set('pass', v.pass ? 'PASS' : 'FAIL');
  cells.set('frames', fmtNum(v.frames));
  cells.set('ESP packets', fmtNum(v.esp?.packets));
  cells.set('SPIs', spis === '' ? 'none' : spis);
  cells.set('ESP endpoints', endpoints.length ? endpoints.join(', ') : 'none');
  cells.set('ESP path', paths.length ? paths.join(', ') : '-');
  cells.set('ESP frame sizes', sizes ? (sizes.min === sizes.max ? `${sizes.min}` : `${sizes.min}..${sizes.max}`) : '-');
  cells.set('cleartext pod packets', fmtNum(v.cleartext?.podPackets));
  cells.set('nonce hits (cleartext)', fmtNum(v.nonce?.hits));
  cells.set('decrypted ok/failed', v.decryption ? `${fmtNum(v.decryption.ok)}/${fmtNum(v.decryption.failed)}` : '-');
  cells.set('tcpdump captured/dropped', v.tcpdump ? `${fmtNum(v.tcpdump.captured)}/${fmtNum(v.tcpdump.dropped)}` : '-');
  cells.set('capture', v.capturePath ?? '-');
  for (const [k, val] of modeCells(v)) cells.set(k, val);
  cells.set('failures', v.failures.length ? v.failures.join('; ') : 'none');
  return { cells, pass: v.pass, verification: v };
}

export const ROWS = [
  'encryption',
  'verdict',
  'expected',
  'pass',
  'frames',
  'ESP packets',
  'SPIs',
  'ESP endpoints',
  'ESP path',
  'ESP frame sizes',
  'cleartext pod packets',
  'nonce hits (cleartext)',
  'decrypted ok/failed',
  'tcpdump captured/dropped',
  ...MODE_ROWS,
  'capture',
  'failures',
] as const;

/** The stacks side by side. Rows that no stack has a value for (e.g. WireGuard rows with no wireguard
 *  stack, rotation rows before any rotation) are left out. */
export function compareOutputs(...stacks: StackOutputs[]): Comparison {
  const cols = stacks.map(describe);
  const problems = cols.map((d) => d.problem).filter((p): p is string => !!p);
  const always = new Set<string>(ROWS.filter((r) => !(MODE_ROWS as readonly string[]).includes(r)));
  const rows = ROWS.map((label) => ({ label, values: cols.map((d) => d.cells.get(label) ?? '-') })).filter(
    (r) => always.has(r.label) || r.values.some((v) => v !== '-'),
  );
  const deciding = cols.filter((_d, i) => !stacks[i].history);
  return { stacks: stacks.map((s) => s.name), rows, pass: deciding.length > 0 && deciding.every((d) => d.pass), problems };
}

/** Text table: one row per fact, one column per stack. */
export function formatComparison(c: Comparison): string {
  const w0 = Math.max(...c.rows.map((r) => r.label.length), 4);
  const widths = c.stacks.map((s, i) => Math.max(s.length, ...c.rows.map((r) => r.values[i].length)));
  const line = (l: string, vals: string[]) => [l.padEnd(w0), ...vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i])))].join('  ').trimEnd();
  const out = [line('', c.stacks), ...c.rows.map((r) => line(r.label, r.values))];
  for (const p of c.problems) out.push(`note: ${p}`);
  const n = c.stacks.length;
  out.push(n === 2 ? (c.pass ? 'both stacks pass' : 'not both stacks pass') : c.pass ? `all ${n} stacks pass` : `not all ${n} stacks pass`);
  return out.join('\n') + '\n';
}
