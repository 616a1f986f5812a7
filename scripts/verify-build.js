'use strict';
/**
 * The compiled verifier in build/verify: `npm run build` (node scripts/verify-build.js) compiles it with
 * tsc -p tsconfig.verify.json and writes a stamp, the SHA-256 of every source the build reads; the bin
 * (bin/cilium-ipsec-verify.js) compares the stamp with the sources before it runs the build, so an edited
 * source is never run from an old build without a word.
 *
 * Plain JavaScript on node:* only: it must run before anything is compiled and on a clone without a build.
 * Hashing the ~40 sources costs about a millisecond; modification times alone would be cheaper but
 * `git checkout` of an older commit and copies with `cp -p` leave them pointing the wrong way.
 *
 *   node scripts/verify-build.js            build if stale (what npm run build and npm's prepare run)
 *   node scripts/verify-build.js --check    exit 0 when the build is current, 1 (with the reason) when not
 *   node scripts/verify-build.js --force    rebuild from scratch
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const BUILD_DIR = path.join(ROOT, 'build', 'verify');
const STAMP = path.join(BUILD_DIR, 'source-hash.json');
const ENTRY = path.join(BUILD_DIR, 'scripts', 'verify.js');
const TSBUILDINFO = path.join(BUILD_DIR, '.tsbuildinfo');

/** What tsconfig.verify.json compiles, plus the configs whose options change the output. Keep in step with it. */
function sourceFiles() {
  const files = ['tsconfig.json', 'tsconfig.verify.json', 'scripts/verify.ts'];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && e.name.endsWith('.ts')) files.push(r);
    }
  };
  walk('components/verifier');
  return files.sort();
}

function sourceHash() {
  const h = crypto.createHash('sha256');
  for (const f of sourceFiles()) {
    h.update(f).update('\0').update(fs.readFileSync(path.join(ROOT, f))).update('\0');
  }
  return h.digest('hex');
}

/** { current: true } or { current: false, reason } (no build, no stamp, sources changed). */
function buildState() {
  if (!fs.existsSync(ENTRY)) return { current: false, reason: 'the verifier is not built' };
  let recorded;
  try {
    recorded = JSON.parse(fs.readFileSync(STAMP, 'utf8')).sha256;
  } catch {
    return { current: false, reason: 'the build has no source stamp' };
  }
  if (recorded !== sourceHash()) return { current: false, reason: "the verifier's sources changed since the last build" };
  return { current: true };
}

/** The TypeScript compiler of this clone, or undefined (installed without devDependencies). */
function findTsc() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

/**
 * Compiles into build/verify and writes the stamp. The hash is taken BEFORE compiling, so a file edited
 * during the build reads as stale next time. Returns { ok, output } (tsc's diagnostics when not ok).
 */
function build({ force = false } = {}) {
  const tsc = findTsc();
  if (tsc === undefined) return { ok: false, output: 'typescript is not installed (npm ci installs it)' };
  // An incremental build trusts its .tsbuildinfo: with the outputs deleted and the info left, it emits nothing.
  if (force || !fs.existsSync(ENTRY)) fs.rmSync(TSBUILDINFO, { force: true });
  const hash = sourceHash();
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.verify.json')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, output: `${r.stdout}${r.stderr}`.trim() || `tsc exited ${r.status}` };
  const tmp = `${STAMP}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ sha256: hash, files: sourceFiles().length }) + '\n');
  fs.renameSync(tmp, STAMP);
  return { ok: true, output: '' };
}

module.exports = { ROOT, BUILD_DIR, ENTRY, STAMP, sourceFiles, sourceHash, buildState, build };

if (require.main === module) {
  const arg = process.argv[2];
  if (arg === '--check') {
    const s = buildState();
    if (!s.current) process.stderr.write(`verify-build: ${s.reason} (run: npm run build)\n`);
    process.exitCode = s.current ? 0 : 1;
  } else if (arg === undefined || arg === '--force') {
    if (arg !== '--force' && buildState().current) {
      process.exitCode = 0;
    } else {
      const r = build({ force: arg === '--force' });
      if (!r.ok) process.stderr.write(`verify-build: tsc -p tsconfig.verify.json failed:\n${r.output}\n`);
      process.exitCode = r.ok ? 0 : 1;
    }
  } else {
    process.stderr.write('usage: node scripts/verify-build.js [--check | --force]\n');
    process.exitCode = 2;
  }
}
