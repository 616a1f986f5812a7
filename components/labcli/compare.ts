/**
 * `lab compare`: the verification of two stacks side by side. Pure: it works on two stacks' outputs as
 * plain objects (what `pulumi stack output --json` or `lab outputs --json` print, or the Automation API's
 * outputs with the values unwrapped), so it can be run on recorded outputs and tested without Pulumi.
 */

export interface StackOutputs {
  /** Label for the column (the stack name or the file it came from). */
  name: string;
  outputs: Record<string, unknown>;
}

export interface CompareRow {
  label: string;
  values: [string, string];
}

export interface Comparison {
  stacks: [string, string];
  rows: CompareRow[];
  /** Both stacks have a verification that passed. */
  pass: boolean;
  /** Why a column could not be compared (e.g. no verification output yet). */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Frame sizes from the verifier's per-flow `sizes` (number list, {min,max}, or a size -> count map). */
export function sizeRange(flows: unknown[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  const add = (n: unknown) => {
    const x = num(n);
    if (x === undefined) return;
    min = Math.min(min, x);
    max = Math.max(max, x);
  };
  for (const f of flows) {
    if (!isObj(f)) continue;
    const s = f.sizes;
    if (Array.isArray(s)) s.forEach(add);
    else if (isObj(s)) {
      if ('min' in s || 'max' in s) {
        add(s.min);
        add(s.max);
      } else {
        for (const k of Object.keys(s)) if (/^\d+$/.test(k)) add(Number(k));
      }
    }
  }
  return min === Infinity ? undefined : { min, max };
}

function fmtNum(v: unknown): string {
  const n = num(v);
  return n === undefined ? '-' : String(n);
}

/** One column of the comparison, from one stack's outputs. */
export function describe(o: StackOutputs): { cells: Map<string, string>; pass: boolean; problem?: string } {
  const cells = new Map<string, string>();
  const v = o.outputs.verification;
  if (!isObj(v)) {
    return { cells, pass: false, problem: `${o.name}: no verification output (run \`npm run lab -- up --stack ${o.name}\` first)` };
  }
  const esp = isObj(v.esp) ? v.esp : {};
  const flows = Array.isArray(esp.flows) ? esp.flows : [];
  const clear = isObj(v.cleartext) ? v.cleartext : {};
  const nonce = isObj(v.nonce) ? v.nonce : {};
  const dec = isObj(v.decryption) ? v.decryption : undefined;
  const expected = isObj(v.expected) ? v.expected : {};
  const tcpdump = isObj(v.tcpdump) ? v.tcpdump : undefined;
  const spis = Array.isArray(esp.spis) ? esp.spis.map(String).join(', ') : '-';
  const endpoints = [
    ...new Set(
      flows.filter(isObj).map((f) => `${String(f.src)} -> ${String(f.dst)}`),
    ),
  ];
  const sizes = sizeRange(flows);
  const paths = [...new Set(flows.filter(isObj).flatMap((f) => (Array.isArray(f.paths) ? f.paths.map(String) : [])))];
  const pass = v.pass === true;
  const enc = typeof o.outputs.encryption === 'string' ? o.outputs.encryption : expected.encryption;
  cells.set('encryption', typeof enc === 'string' ? enc : '-');
  cells.set('verdict', typeof v.verdict === 'string' ? v.verdict : '-');
  cells.set('expected', typeof expected.expect === 'string' ? expected.expect : '-');
  cells.set('pass', pass ? 'PASS' : 'FAIL');
  cells.set('frames', fmtNum(v.frames));
  cells.set('ESP packets', fmtNum(esp.packets));
  cells.set('SPIs', spis === '' ? 'none' : spis);
  cells.set('ESP endpoints', endpoints.length ? endpoints.join(', ') : 'none');
  cells.set('ESP path', paths.length ? paths.join(', ') : '-');
  cells.set('ESP frame sizes', sizes ? (sizes.min === sizes.max ? `${sizes.min}` : `${sizes.min}..${sizes.max}`) : '-');
  cells.set('cleartext pod packets', fmtNum(clear.podPackets));
  cells.set('nonce hits (cleartext)', fmtNum(nonce.hits));
  cells.set('decrypted ok/failed', dec ? `${fmtNum(dec.ok)}/${fmtNum(dec.failed)}` : '-');
  cells.set('tcpdump captured/dropped', tcpdump ? `${fmtNum(tcpdump.captured)}/${fmtNum(tcpdump.dropped)}` : '-');
  cells.set('capture', typeof v.capturePath === 'string' ? v.capturePath : '-');
  const failures = Array.isArray(v.failures) ? v.failures.map(String) : [];
  cells.set('failures', failures.length ? failures.join('; ') : 'none');
  return { cells, pass };
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
  'capture',
  'failures',
] as const;

export function compareOutputs(a: StackOutputs, b: StackOutputs): Comparison {
  const da = describe(a);
  const db = describe(b);
  const problems = [da.problem, db.problem].filter((p): p is string => !!p);
  const rows = ROWS.map((label) => ({ label, values: [da.cells.get(label) ?? '-', db.cells.get(label) ?? '-'] as [string, string] }));
  return { stacks: [a.name, b.name], rows, pass: da.pass && db.pass, problems };
}

/** Text table: one row per fact, one column per stack. */
export function formatComparison(c: Comparison): string {
  const w0 = Math.max(...c.rows.map((r) => r.label.length), 4);
  const w1 = Math.max(c.stacks[0].length, ...c.rows.map((r) => r.values[0].length));
  const line = (l: string, x: string, y: string) => `${l.padEnd(w0)}  ${x.padEnd(w1)}  ${y}`.trimEnd();
  const out = [line('', c.stacks[0], c.stacks[1]), ...c.rows.map((r) => line(r.label, r.values[0], r.values[1]))];
  for (const p of c.problems) out.push(`note: ${p}`);
  out.push(c.pass ? 'both stacks pass' : 'not both stacks pass');
  return out.join('\n') + '\n';
}
