/**
 * The bundle's recipe keys and its runner: what is cached, what is rebuilt, what a failure says and
 * leaves behind, and the closing table. Pieces here are small scripts in a temporary directory; no
 * network, no Go.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_VERSIONS, DONE_MARKER, defaultCacheDir, keysFor, pieceDir, recipeKey, scriptPieces, type Piece } from '../../components/bundle/recipe';
import { BundleError, orderByDeps, runPieces, timingTable, type PieceResult } from '../../components/bundle/runner';
import { REPO_ROOT } from '../../components/repo';
import { bundlePieces } from '../../components/bundle/pipeline';

function piece(name: string, over: Partial<Piece> = {}): Piece {
  return { name, version: '1', source: 'test', deps: [], inputs: {}, files: [], lane: 'go', ...over };
}

describe('bundle recipe keys', () => {
  const files: Record<string, string> = { 'a.sh': 'echo a', 'b.sh': 'echo b' };
  const read = (f: string) => {
    if (!(f in files)) throw new Error(`no ${f}`);
    return files[f];
  };

  it('does not depend on the order of inputs, and changes with any input value', () => {
    const p = piece('k', { inputs: { A: '1', B: '2' }, files: ['a.sh'] });
    const q = piece('k', { inputs: { B: '2', A: '1' }, files: ['a.sh'] });
    assert.strictEqual(recipeKey(p, read, {}), recipeKey(q, read, {}));
    assert.notStrictEqual(recipeKey(p, read, {}), recipeKey(piece('k', { inputs: { A: '1', B: '3' }, files: ['a.sh'] }), read, {}));
    assert.match(recipeKey(p, read, {}), /^[0-9a-f]{16}$/);
  });

  it('a changed build file rebuilds its piece and the pieces that read it, nothing else', () => {
    const pieces = [piece('base', { files: ['a.sh'] }), piece('other', { files: ['b.sh'] }), piece('top', { deps: ['base'], files: ['b.sh'] })];
    const before = keysFor(pieces, read);
    files['a.sh'] = 'echo a2';
    const after = keysFor(pieces, read);
    files['a.sh'] = 'echo a';
    assert.notStrictEqual(after.base, before.base);
    assert.notStrictEqual(after.top, before.top, 'a dependent is rebuilt');
    assert.strictEqual(after.other, before.other, 'an unrelated piece stays cached');
  });

  it('refuses an unknown dependency and a cycle, naming them', () => {
    assert.throws(() => keysFor([piece('a', { deps: ['ghost'] })], read), /piece a depends on ghost, which is not in the recipe/);
    assert.throws(() => keysFor([piece('a', { deps: ['b'] }), piece('b', { deps: ['a'] })], read), /cycle/);
    assert.throws(() => recipeKey(piece('a', { deps: ['b'] }), read, {}), /no key for its dependencies b/);
  });

  it('keys of the real recipe are computed from files that exist, and none depends on where the clone is', () => {
    const o = { cacheDir: '/nonexistent', versions: DEFAULT_VERSIONS, debianMirror: 'http://deb.debian.org/debian', ciliumStartTimeout: '30 * time.Minute' };
    const pieces = bundlePieces(o);
    const keys = keysFor(pieces, (f) => fs.readFileSync(path.join(REPO_ROOT, f)));
    assert.strictEqual(Object.keys(keys).length, pieces.length);
    for (const p of pieces) {
      for (const v of Object.values(p.inputs)) assert.ok(!v.includes(REPO_ROOT), `${p.name}: input ${v} holds the clone's path`);
    }
    const names = pieces.map((p) => p.name);
    for (const want of ['kubernetes', 'cilium', 'etcd', 'coredns', 'apt', 'chart', 'guest', 'images', 'registry']) assert.ok(names.includes(want), want);
    const k8s = scriptPieces(o).find((p) => p.name === 'kubernetes') as Piece;
    assert.strictEqual(k8s.inputs.KUBERNETES_VERSION, DEFAULT_VERSIONS.kubernetes);
    assert.ok(!k8s.inputs.KUBERNETES_BINARIES.includes('kube-proxy'), 'the lab skips kube-proxy');
  });

  it('caches outside the clone by default, or where LAB_BUNDLE_CACHE says', () => {
    const d = defaultCacheDir({ HOME: '/home/u' } as NodeJS.ProcessEnv);
    assert.ok(d.endsWith(path.join('cilium-ipsec-lab', 'bundle')) && !d.startsWith(REPO_ROOT), d);
    assert.strictEqual(defaultCacheDir({ LAB_BUNDLE_CACHE: '/x/y' } as NodeJS.ProcessEnv), '/x/y');
    assert.strictEqual(defaultCacheDir({ XDG_CACHE_HOME: '/c' } as NodeJS.ProcessEnv), '/c/cilium-ipsec-lab/bundle');
  });
});

describe('bundle runner', function () {
  this.timeout(30000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-runner-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A script piece that appends its name to a run log and writes OUT/result from its dependency. */
  function scripted(name: string, body: string, over: Partial<Piece> = {}): Piece {
    const script = path.join(tmp, `${name}.sh`);
    fs.writeFileSync(script, `set -euo pipefail\necho "$PIECE" >>"${tmp}/runs"\n${body}\n`);
    return piece(name, { script, ...over });
  }
  const runs = () => (fs.existsSync(path.join(tmp, 'runs')) ? fs.readFileSync(path.join(tmp, 'runs'), 'utf8').trim().split('\n') : []);

  it('builds once, then reuses; a dependency output reaches the script as DEP_<NAME>', async () => {
    const pieces = [
      scripted('base', 'echo hello >"$OUT/result"'),
      scripted('top', 'cat "$DEP_BASE/result" >"$OUT/result"; echo "bundle: top: step done" >&2', { deps: ['base'], lane: 'assemble' }),
    ];
    const keys = { base: 'k1', top: 'k2' };
    const lines: string[] = [];
    const first = await runPieces(pieces, { cacheDir: tmp, keys, log: (l) => lines.push(l) });
    assert.deepStrictEqual(first.map((r) => r.status), ['built', 'built']);
    assert.strictEqual(fs.readFileSync(path.join(pieceDir(tmp, 'top', 'k2'), 'result'), 'utf8'), 'hello\n');
    assert.ok(fs.existsSync(path.join(pieceDir(tmp, 'top', 'k2'), DONE_MARKER)));
    assert.ok(lines.includes('bundle: top: step done'), lines.join('\n'));
    assert.match(fs.readFileSync(path.join(tmp, 'logs', 'top.log'), 'utf8'), /step done/);
    const second = await runPieces(pieces, { cacheDir: tmp, keys, log: () => undefined });
    assert.deepStrictEqual(second.map((r) => r.status), ['cached', 'cached']);
    assert.deepStrictEqual(runs(), ['base', 'top'], 'the second run ran no script');
  });

  it('a failed piece leaves no cache entry, stops what depends on it, and its error names the piece and the step', async () => {
    const pieces = [
      scripted('bad', 'echo "go: downloading x v1" >&2; echo "bundle: bad: step \'build-x\' failed (go exit 1): go build x" >&2; echo "  x.go:3:1: undefined: y" >&2; exit 1'),
      scripted('after', 'true', { deps: ['bad'], lane: 'assemble' }),
    ];
    await assert.rejects(runPieces(pieces, { cacheDir: tmp, keys: { bad: 'kb', after: 'ka' }, log: () => undefined }), (e: unknown) => {
      assert.ok(e instanceof BundleError);
      assert.strictEqual(e.piece, 'bad');
      assert.match(e.message, /piece bad failed \(exit 1\)/);
      assert.match(e.message, /step 'build-x' failed/);
      assert.match(e.message, /x\.go:3:1: undefined: y/);
      return true;
    });
    assert.ok(!fs.existsSync(pieceDir(tmp, 'bad', 'kb')), 'no cache entry');
    assert.ok(!fs.existsSync(`${pieceDir(tmp, 'bad', 'kb')}.partial`) || !fs.existsSync(path.join(`${pieceDir(tmp, 'bad', 'kb')}.partial`, DONE_MARKER)));
    assert.deepStrictEqual(runs(), ['bad'], 'the dependent piece never ran');
  });

  it('runs the pieces of one lane one at a time and lanes side by side', async () => {
    // Each piece records start and end; a and b share a lane, c has its own.
    const body = (n: string) => `echo "start ${n}" >>"${tmp}/events"; sleep 0.3; echo "end ${n}" >>"${tmp}/events"`;
    const pieces = [scripted('a', body('a')), scripted('b', body('b')), scripted('c', body('c'), { lane: 'debian' })];
    await runPieces(pieces, { cacheDir: tmp, keys: { a: '1', b: '2', c: '3' }, log: () => undefined });
    const ev = fs.readFileSync(path.join(tmp, 'events'), 'utf8').trim().split('\n');
    assert.ok(ev.indexOf('end a') < ev.indexOf('start b'), `same lane overlapped: ${ev.join(', ')}`);
    assert.ok(ev.indexOf('start c') < ev.indexOf('end a'), `lanes did not overlap: ${ev.join(', ')}`);
  });

  it('orders pieces after their dependencies', () => {
    const order = orderByDeps([piece('top', { deps: ['mid'] }), piece('mid', { deps: ['base'] }), piece('base')]).map((p) => p.name);
    assert.deepStrictEqual(order, ['base', 'mid', 'top']);
  });

  it('prints the timing table with every piece, its source, seconds and cached/built', () => {
    const row = (name: string, seconds: number, status: 'built' | 'cached'): PieceResult => ({ name, version: 'v1', source: 'Go module proxy', key: 'k', dir: '/d', seconds, status });
    const t = timingTable([row('kubernetes', 1200, 'built'), row('chart', 0, 'cached')], 1300);
    const lines = t.split('\n');
    assert.match(lines[0], /^piece\s+version\s+source\s+seconds\s+status$/);
    assert.match(lines[1], /^kubernetes\s+v1\s+Go module proxy\s+1200\s+built$/);
    assert.match(lines[2], /^chart\s+v1\s+Go module proxy\s+0\s+cached$/);
    assert.match(lines[3], /^total\s+1 built, 1 cached\s+1200\s+wall 1300s$/);
  });
});
