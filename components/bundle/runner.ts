/**
 * Runs the bundle's pieces: a cached piece is reused, a missing one is built into a fresh directory
 * that becomes the cache entry only when the build succeeds (a failed or interrupted build leaves no
 * half-made entry behind). Pieces of one lane run one after another, lanes run side by side, so the
 * long Go builds (CPU) overlap the Debian downloads and image builds (network, disk). Every line a
 * piece prints goes to the console and to <cache>/logs/<piece>.log.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../repo';
import { DONE_MARKER, depEnvName, pieceDir, type Piece } from './recipe';

export interface PieceResult {
  name: string;
  version: string;
  source: string;
  key: string;
  dir: string;
  seconds: number;
  status: 'cached' | 'built';
}

/** A piece failed: the message names it and carries the lines its script printed about the failure. */
export class BundleError extends Error {
  constructor(
    readonly piece: string,
    message: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}

export interface RunOptions {
  cacheDir: string;
  keys: Record<string, string>;
  log: (line: string) => void;
  /** Environment for script pieces (PATH with go, ...); the pieces' own inputs are added to it. */
  env?: NodeJS.ProcessEnv;
  /** Wrapper for scripts, e.g. ['nice', '-n', '19']. */
  niceness?: string[];
  /** Clock, for tests. */
  now?: () => number;
}

export function isCached(dir: string): boolean {
  return fs.existsSync(path.join(dir, DONE_MARKER));
}

/** How many of a failed script's last lines the error quotes (the script's own summary comes last). */
const FAILURE_TAIL = 16;

function runScript(piece: Piece, out: string, work: string, deps: Record<string, string>, o: RunOptions, logFile: number): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env, ...piece.inputs, PIECE: piece.name, OUT: out, WORK: work };
  for (const [d, dir] of Object.entries(deps)) env[depEnvName(d)] = dir;
  const argv = [...(o.niceness ?? []), 'bash', path.resolve(REPO_ROOT, piece.script as string)];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (buf: Buffer, stream: 'out' | 'err') => {
      fs.writeSync(logFile, buf);
      for (const line of buf.toString('utf8').split('\n')) {
        if (line === '') continue;
        tail.push(line);
        if (tail.length > FAILURE_TAIL) tail.shift();
        // A script's stdout is data (a path, a version); its stderr lines are progress.
        if (stream === 'err') o.log(line.startsWith('bundle: ') ? line : `bundle: ${piece.name}: ${line}`);
      }
    };
    child.stdout.on('data', (b: Buffer) => onData(b, 'out'));
    child.stderr.on('data', (b: Buffer) => onData(b, 'err'));
    child.on('error', (e) => reject(new BundleError(piece.name, `bundle: piece ${piece.name}: cannot run ${argv.join(' ')}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `killed by ${signal}` : `exit ${code}`;
      const stepLines = tail.filter((l) => l.includes(`bundle: ${piece.name}: `) || l.startsWith('  '));
      const quoted = (stepLines.length > 0 ? stepLines : tail).join('\n');
      reject(new BundleError(piece.name, `bundle: piece ${piece.name} failed (${how}):\n${quoted}`));
    });
  });
}

/** Builds one piece (or reuses it) and returns its result row. */
export async function runPiece(piece: Piece, deps: Record<string, string>, o: RunOptions): Promise<PieceResult> {
  const now = o.now ?? Date.now;
  const key = o.keys[piece.name];
  if (!key) throw new BundleError(piece.name, `bundle: piece ${piece.name} has no key`);
  const dir = pieceDir(o.cacheDir, piece.name, key);
  const row = { name: piece.name, version: piece.version, source: piece.source, key, dir };
  if (isCached(dir)) {
    o.log(`bundle: ${piece.name}: cached (${dir})`);
    return { ...row, seconds: 0, status: 'cached' };
  }
  const start = now();
  const partial = `${dir}.partial`;
  const work = path.join(o.cacheDir, 'work', piece.name);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(path.join(o.cacheDir, 'logs'), { recursive: true });
  const logFile = fs.openSync(path.join(o.cacheDir, 'logs', `${piece.name}.log`), 'w');
  o.log(`bundle: ${piece.name}: building ${piece.version} from ${piece.source}`);
  try {
    if (piece.script) {
      await runScript(piece, partial, work, deps, o, logFile);
    } else if (piece.build) {
      await piece.build({
        out: partial,
        work,
        deps,
        log: (line) => {
          fs.writeSync(logFile, `${line}\n`);
          o.log(`bundle: ${piece.name}: ${line}`);
        },
      });
    } else {
      throw new BundleError(piece.name, `bundle: piece ${piece.name} has neither a script nor a build step`);
    }
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(piece.name, `bundle: piece ${piece.name} failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    fs.closeSync(logFile);
  }
  const seconds = Math.round((now() - start) / 1000);
  fs.writeFileSync(path.join(partial, DONE_MARKER), `${JSON.stringify({ piece: piece.name, version: piece.version, key, seconds }, null, 2)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  fs.rmSync(work, { recursive: true, force: true });
  o.log(`bundle: ${piece.name}: built in ${seconds}s`);
  return { ...row, seconds, status: 'built' };
}

/**
 * Runs every piece once its dependencies are done, one piece per lane at a time, in the order given
 * within a lane. The first failure stops new starts; pieces already running finish, then the error is
 * thrown.
 */
export async function runPieces(pieces: Piece[], o: RunOptions): Promise<PieceResult[]> {
  const results = new Map<string, PieceResult>();
  const lanes = new Map<string, Piece[]>();
  for (const p of pieces) lanes.set(p.lane, [...(lanes.get(p.lane) ?? []), p]);
  const done = new Map<string, Promise<PieceResult>>();
  let failure: unknown;
  const names = new Set(pieces.map((p) => p.name));
  for (const p of pieces) {
    for (const d of p.deps) if (!names.has(d)) throw new BundleError(p.name, `bundle: piece ${p.name} depends on ${d}, which is not in the recipe`);
  }
  // Each lane is a chain: a piece waits for the previous piece of its lane and for its dependencies.
  const waitFor = (name: string): Promise<PieceResult> => {
    const w = done.get(name);
    if (!w) throw new BundleError(name, `bundle: piece ${name} is scheduled after a piece that needs it`);
    return w;
  };
  const settled: Promise<unknown>[] = [];
  const order = orderByDeps(pieces);
  const laneTail = new Map<string, Promise<unknown>>();
  for (const p of order) {
    const prev = laneTail.get(p.lane) ?? Promise.resolve();
    const run = (async () => {
      await prev.catch(() => undefined);
      const deps: Record<string, string> = {};
      for (const d of p.deps) deps[d] = (await waitFor(d)).dir;
      if (failure !== undefined) throw new BundleError(p.name, `bundle: piece ${p.name} not started: an earlier piece failed`);
      try {
        const r = await runPiece(p, deps, o);
        results.set(p.name, r);
        return r;
      } catch (e) {
        failure ??= e;
        throw e;
      }
    })();
    done.set(p.name, run);
    laneTail.set(p.lane, run);
    settled.push(run.catch(() => undefined));
  }
  await Promise.all(settled);
  if (failure !== undefined) throw failure;
  return pieces.map((p) => results.get(p.name) as PieceResult);
}

/** Pure: the pieces in an order where each comes after its dependencies, otherwise as given. */
export function orderByDeps(pieces: Piece[]): Piece[] {
  const byName = new Map(pieces.map((p) => [p.name, p]));
  const out: Piece[] = [];
  const seen = new Set<string>();
  const visit = (p: Piece, stack: string[]) => {
    if (seen.has(p.name)) return;
    if (stack.includes(p.name)) throw new BundleError(p.name, `bundle: dependency cycle: ${[...stack, p.name].join(' -> ')}`);
    for (const d of p.deps) {
      const dp = byName.get(d);
      if (dp) visit(dp, [...stack, p.name]);
    }
    seen.add(p.name);
    out.push(p);
  };
  for (const p of pieces) visit(p, []);
  return out;
}

/** Pure: the closing timing table (piece, version, source, seconds, cached/built) and the wall time. */
export function timingTable(rows: PieceResult[], wallSeconds: number): string {
  const header = ['piece', 'version', 'source', 'seconds', 'status'];
  const body = rows.map((r) => [r.name, r.version, r.source, String(r.seconds), r.status]);
  const built = rows.filter((r) => r.status === 'built');
  const footer = ['total', '', `${built.length} built, ${rows.length - built.length} cached`, String(rows.reduce((s, r) => s + r.seconds, 0)), `wall ${wallSeconds}s`];
  const all = [header, ...body, footer];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...body.map(line), line(footer)].join('\n');
}
