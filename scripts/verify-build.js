'use strict';
/**
 * The compiled verifier in build/verify: `npm run build` (node scripts/verify-build.js) compiles what
 * tsconfig.verify.json names (its entry and everything the compiler follows from it) and writes a stamp: the list
 * of the sources the compiler read, and the SHA-256 of their text as it compiled them, with both tsconfigs. The
 * bin (bin/cilium-ipsec-verify.js) compares the stamp with the sources before it runs the build, so an edited
 * source is never run from an old build without a word.
 *
 * Plain JavaScript on node:* only where it runs on every start (the check): it must run before anything is
 * compiled and on a clone without a build. The build itself loads the TypeScript compiler of the clone.
 * Hashing the ~70 sources costs about a millisecond; modification times alone would be cheaper but `git checkout`
 * of an older commit and copies with `cp -p` leave them pointing the wrong way.
 *
 *   node scripts/verify-build.js            build if stale (what npm run build and npm's prepare run)
 *   node scripts/verify-build.js --check    exit 0 when the build is current, 1 (with the reason) when not
 *   node scripts/verify-build.js --force    rebuild from scratch
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CONFIG = path.join(ROOT, 'tsconfig.verify.json');
const BUILD_DIR = path.join(ROOT, 'build', 'verify');
const STAMP = path.join(BUILD_DIR, 'source-hash.json');
const ENTRY = path.join(BUILD_DIR, 'scripts', 'verify.js');
const TSBUILDINFO = path.join(BUILD_DIR, '.tsbuildinfo');
/** The configs whose options change the output: hashed with the sources. */
const CONFIGS = ['tsconfig.json', 'tsconfig.verify.json'];

/** A file's text as the compiler reads it (UTF-8, a leading byte order mark dropped). */
function readText(rel) {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8').replace(/^\uFEFF/, '');
}

/** SHA-256 over (name, text) pairs, in name order. */
function hashOf(texts) {
  const h = crypto.createHash('sha256');
  for (const [f, text] of [...texts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) h.update(f).update('\0').update(text).update('\0');
  return h.digest('hex');
}

/** { current: true } or { current: false, reason } (no build, no stamp, sources changed or gone). */
function buildState() {
  if (!fs.existsSync(ENTRY)) return { current: false, reason: 'the verifier is not built' };
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return { current: false, reason: 'the build has no source stamp' };
  }
  if (!Array.isArray(stamp.files) || typeof stamp.sha256 !== 'string') return { current: false, reason: 'the build has no source stamp' };
  let texts;
  try {
    texts = stamp.files.map((f) => [f, readText(f)]);
  } catch {
    return { current: false, reason: "the verifier's sources changed since the last build" };
  }
  if (hashOf(texts) !== stamp.sha256) return { current: false, reason: "the verifier's sources changed since the last build" };
  return { current: true };
}

/** The TypeScript compiler of this clone, or undefined (installed without devDependencies). */
function loadTypescript() {
  try {
    return require(require.resolve('typescript', { paths: [ROOT] }));
  } catch {
    return undefined;
  }
}

/**
 * Compiles into build/verify and writes the stamp. The stamp hashes the text the compiler read, so a file edited
 * during the build reads as stale next time. Returns { ok, output } (the compiler's diagnostics when not ok).
 */
function build({ force = false } = {}) {
  const ts = loadTypescript();
  if (ts === undefined) return { ok: false, output: 'typescript is not installed (npm ci installs it)' };
  // An incremental build trusts its .tsbuildinfo: with the outputs deleted and the info left, it emits nothing.
  if (force || !fs.existsSync(ENTRY)) fs.rmSync(TSBUILDINFO, { force: true });
  const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  const configErrors = [];
  const config = ts.getParsedCommandLineOfConfigFile(CONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) });
  if (config === undefined || configErrors.length > 0 || config.errors.length > 0) {
    return { ok: false, output: ts.formatDiagnostics([...configErrors, ...(config ? config.errors : [])], formatHost).trim() || 'tsconfig.verify.json cannot be read' };
  }
  const program = ts.createIncrementalProgram({
    rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  // The project's own sources the compiler read (packages' type declarations are not part of the build).
  const sources = program.getSourceFiles()
    .map((sf) => [path.relative(ROOT, sf.fileName).split(path.sep).join('/'), sf.text])
    .filter(([f]) => !f.startsWith('..') && !f.split('/').includes('node_modules'));
  const texts = [...sources, ...CONFIGS.map((f) => [f, readText(f)])];
  const emitted = program.emit();
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics(), ...emitted.diagnostics,
  ].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length > 0) return { ok: false, output: ts.formatDiagnostics(diagnostics, formatHost).trim() };
  const tmp = `${STAMP}.${process.pid}`;
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  fs.writeFileSync(tmp, JSON.stringify({ sha256: hashOf(texts), files: texts.map(([f]) => f).sort() }, null, 1) + '\n');
  fs.renameSync(tmp, STAMP);
  return { ok: true, output: '' };
}

module.exports = { ROOT, BUILD_DIR, ENTRY, STAMP, buildState, build };

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
      if (!r.ok) process.stderr.write(`verify-build: compiling tsconfig.verify.json failed:\n${r.output}\n`);
      process.exitCode = r.ok ? 0 : 1;
    }
  } else {
    process.stderr.write('usage: node scripts/verify-build.js [--check | --force]\n');
    process.exitCode = 2;
  }
}
